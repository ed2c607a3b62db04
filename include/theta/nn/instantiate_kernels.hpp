#pragma once
/// \file The float and double instances of the network kernels (nn/detail/gemm.hpp) and of the
/// orthogonal initialiser (nn/init.hpp). A program
/// built with THETA_EXTERN_KERNELS defined (in every translation unit) includes this header in
/// exactly one unit, which then compiles the kernels for all of them (docs/nn.md, "Build time").
/// Without THETA_EXTERN_KERNELS every unit compiles the instances it uses, as usual.

#include <theta/nn/detail/gemm.hpp>
#include <theta/nn/init.hpp>

namespace theta::nn::detail {

THETA_DETAIL_KERNEL_INSTANCES(template)

}  // namespace theta::nn::detail

namespace theta::nn {

THETA_DETAIL_INIT_INSTANCES(template)

}  // namespace theta::nn
