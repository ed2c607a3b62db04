// expect: ContextPolicy
// A policy that records no context is not a ContextPolicy (the trainer then stores none).
#include "user_components.hpp"

template <theta::ContextPolicy P>
theta::Index stored_rows(const P& policy) {
  return policy.context_rows();
}

void use() {
  user::Policy policy;
  static_cast<void>(stored_rows(policy));
}
