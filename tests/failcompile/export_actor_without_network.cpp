// expect: the actor must expose the network its deterministic action reads
// A user actor that trains but does not describe its network cannot be exported (issue 13,
// "Deployment"): export_policy names the missing member and the concept io::ExportableActor.
#include "user_components.hpp"

void use() {
  theta::OnPolicyTrainer<user::Env, theta::ppo::Ppo, user::Policy, user::Critic> trainer({}, {}, {});
  trainer.export_policy("policy.bin");
}
