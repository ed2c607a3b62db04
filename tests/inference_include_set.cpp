// theta/inference.hpp includes Eigen and the standard library only (issue 13, "Deployment"):
// this file is compiled with nothing else in front of it (no precompiled header), and the
// static_asserts fail the build if fmt, the trainers, the optimizers or the loggers came in
// through it. Run, it loads the policy file named on its command line (if any) and predicts.

#include <theta/inference.hpp>

#ifdef FMT_VERSION
static_assert(false, "theta/inference.hpp pulled in fmt");
#endif

#include <cstdio>
#include <exception>
#include <type_traits>

// theta/core/error.hpp (`require`), on which every trainer, optimizer, logger and environment
// header stands, includes fmt: without FMT_VERSION none of them was included either.

int main(int argc, char** argv) {
  if (argc < 2) {
    std::puts("theta/inference.hpp: Eigen and the standard library only");
    return 0;
  }
  try {
    auto policy = theta::inference::Policy::load(argv[1]);
    const Eigen::VectorXf obs = Eigen::VectorXf::Zero(policy.observation_size());
    std::printf("action[0] = %g\n", static_cast<double>(policy.predict(obs)[0]));
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  return 0;
}
