// The network kernels' and the orthogonal initialiser's float and double instances, compiled once
// for the test programs (theta_test_kernels): the test files are built with THETA_EXTERN_KERNELS
// (tests/CMakeLists.txt), except the allocation tests, which compile their own under
// EIGEN_RUNTIME_NO_MALLOC.
#include <theta/nn/instantiate_kernels.hpp>
