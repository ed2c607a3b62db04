// expect: the actor must satisfy theta::SquashedPolicy
// An on-policy Gaussian policy does not sample by reparameterisation: SAC rejects it.
#include <theta/policy/gaussian_policy.hpp>
#include <theta/train/off_policy_trainer.hpp>

void use() {
  using Sac = theta::sac::Sac<theta::GaussianPolicy<float>, theta::QNetwork<float>>;
  static_cast<void>(sizeof(Sac));
}
