// The instruction-count probe of docs/benchmarks.md: A2C on CartPole (SB3 defaults, 8 copies,
// 20,480 steps) or PPO (SB3 defaults, 4 copies x 256 steps, 4,096 steps), then a checksum of
// the actor's parameters. Build it against two trees and compare under callgrind, which counts
// instructions independently of the machine's load:
//
//     g++ -std=c++20 -O3 -march=x86-64-v3 -fno-math-errno -DNDEBUG -I<tree>/include -I/usr/include/eigen3 \
//         benchmarks/callgrind/probe.cpp -lfmt -o probe
//     valgrind --tool=callgrind ./probe a2c   (or: ./probe ppo)
#include <theta/theta.hpp>
#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
  using Env = theta::TimeLimit<theta::CartPole>;
  if (argc > 1 && std::strcmp(argv[1], "ppo") == 0) {
    theta::OnPolicyTrainer<Env, theta::ppo::Ppo> t({.n_envs = 4, .n_steps = 256, .seed = 1}, theta::ppo::Config{}, {}, Env(theta::CartPole{}, 500));
    t.learn(4096);
    std::printf("ppo %.8f\n", (double)t.actor().parameters().sum());
  } else {
    theta::OnPolicyTrainer<Env, theta::a2c::A2c> t({.n_envs = 8, .seed = 1}, theta::a2c::Config{}, {}, Env(theta::CartPole{}, 500));
    t.learn(20480);
    std::printf("a2c %.8f\n", (double)t.actor().parameters().sum());
  }
}
