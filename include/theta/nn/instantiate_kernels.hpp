#pragma once
/// \file The float and double instances of the network kernels (nn/detail/gemm.hpp). A program
/// built with THETA_EXTERN_KERNELS defined (in every translation unit) includes this header in
/// exactly one unit, which then compiles the kernels for all of them (docs/nn.md, "Build time").
/// Without THETA_EXTERN_KERNELS every unit compiles the instances it uses, as usual.

#include <theta/nn/detail/gemm.hpp>

namespace theta::nn::detail {

THETA_DETAIL_KERNEL_INSTANCES(template)

}  // namespace theta::nn::detail
