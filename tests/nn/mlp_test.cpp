#include <theta/nn/init.hpp>
#include <theta/nn/mlp.hpp>

#include <support/data_dir.hpp>
#include <support/finite_difference.hpp>
#include <support/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using theta::Index;
using theta::Matrix;
using theta::Rng;
using theta::Vector;
using theta::nn::Activation;
using theta::nn::Mlp;
using theta::nn::MlpConfig;
using theta::test::numerical_gradient;

// Every member of both instantiations compiles.
template class theta::nn::Mlp<float>;
template class theta::nn::Mlp<double>;

namespace {

// err = |x - ref| / max(1, |ref|), the metric of tests/data/torch/README.md; the largest over
// all entries, which must agree in shape.
double max_err(const Eigen::MatrixXd& x, const Eigen::MatrixXd& ref) {
  REQUIRE(x.rows() == ref.rows());
  REQUIRE(x.cols() == ref.cols());
  double worst = 0;
  for (Index j = 0; j < x.cols(); ++j) {
    for (Index i = 0; i < x.rows(); ++i) {
      worst = std::max(worst, std::abs(x(i, j) - ref(i, j)) / std::max(1.0, std::abs(ref(i, j))));
    }
  }
  return worst;
}

template <class Derived>
Eigen::MatrixXd to_double(const Eigen::MatrixBase<Derived>& m) {
  return m.template cast<double>();
}

// A flat vector in theta's layout (column-major W) re-ordered as PyTorch's
// parameters_to_vector (row-major W), layer by layer.
template <class T>
Eigen::VectorXd to_torch_order(const Mlp<T>& net, const Eigen::Ref<const Vector<std::type_identity_t<T>>>& flat) {
  Eigen::VectorXd torch(flat.size());
  Index k = 0;
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    const Eigen::Map<const Matrix<T>> w(flat.data() + net.offset(l), layer.outputs(), layer.inputs());
    for (Index i = 0; i < w.rows(); ++i) {
      for (Index j = 0; j < w.cols(); ++j) torch[k++] = static_cast<double>(w(i, j));
    }
    for (Index i = 0; i < layer.outputs(); ++i) torch[k++] = static_cast<double>(flat[net.offset(l) + w.size() + i]);
  }
  return torch;
}

// The inverse: a PyTorch-ordered flat vector (first num_parameters() entries) in theta's layout.
template <class T>
Vector<T> from_torch_order(const Mlp<T>& net, const Eigen::VectorXd& torch) {
  Vector<T> flat(net.num_parameters());
  Index k = 0;
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    Eigen::Map<Matrix<T>> w(flat.data() + net.offset(l), layer.outputs(), layer.inputs());
    for (Index i = 0; i < w.rows(); ++i) {
      for (Index j = 0; j < w.cols(); ++j) w(i, j) = static_cast<T>(torch[k++]);
    }
    for (Index i = 0; i < layer.outputs(); ++i) flat[net.offset(l) + w.size() + i] = static_cast<T>(torch[k++]);
  }
  return flat;
}

template <class T>
void check_case(const theta::test::Json& c, double tol, Index extra_capacity) {
  const auto batch = static_cast<Index>(c["batch"].integer());
  Mlp<T> net({.inputs = 4, .hidden = {8, 8}, .outputs = 2, .hidden_activation = Activation::tanh});
  REQUIRE(net.num_parameters() == 130);
  const char* weights[] = {"W1", "W2", "W3"};
  const char* biases[] = {"b1", "b2", "b3"};
  for (Index l = 0; l < 3; ++l) {
    net.layer(l).weight() = c[weights[l]].template matrix<T>();
    net.layer(l).bias() = c[biases[l]].template vector<T>();
  }
  const Matrix<T> x = c["inputs"].template batch<T>();
  auto ws = net.make_workspace(batch + extra_capacity);

  // Forward: every recorded activation and the output.
  const auto y = net.forward(x, ws);
  CHECK(max_err(to_double(ws.activation(1)), c["hidden1"].batch()) <= tol);
  CHECK(max_err(to_double(ws.activation(2)), c["hidden2"].batch()) <= tol);
  CHECK(max_err(to_double(y), c["outputs"].batch()) <= tol);

  // Backward of sum(y .* C): every parameter gradient, the input gradient, the flat vector.
  const Matrix<T> cotangent = c["cotangent"].template batch<T>();
  Matrix<T> input_grad(4, batch);
  net.zero_grad();
  net.backward(ws, cotangent, input_grad);
  const char* grad_w[] = {"grad_W1", "grad_W2", "grad_W3"};
  const char* grad_b[] = {"grad_b1", "grad_b2", "grad_b3"};
  for (Index l = 0; l < 3; ++l) {
    INFO("layer " << l);
    CHECK(max_err(to_double(net.layer(l).weight_grad()), c[grad_w[l]].matrix()) <= tol);
    CHECK(max_err(to_double(net.layer(l).bias_grad()), c[grad_b[l]].vector()) <= tol);
  }
  CHECK(max_err(to_double(input_grad), c["grad_inputs"].batch()) <= tol);
  CHECK(max_err(to_torch_order(net, net.gradients()), c["flat_grad"].vector()) <= tol);

  // The same through vjp into a caller's buffer, which must leave gradients() alone.
  const Vector<T> before = net.gradients();
  Vector<T> grad = Vector<T>::Zero(net.num_parameters());
  net.vjp(ws, cotangent, grad);
  CHECK(max_err(to_torch_order(net, grad), c["flat_grad"].vector()) <= tol);
  CHECK(net.gradients() == before);

  // JVP: the tangent holds 130 MLP entries (132 with the Gaussian's log_std appended).
  const Eigen::VectorXd tangent_torch = c["tangent"].vector();
  const Vector<T> tangent = from_torch_order(net, tangent_torch.head(130));
  Matrix<T> jv(2, batch);
  net.jvp(ws, tangent, jv);
  CHECK(max_err(to_double(jv), c["jvp"].batch()) <= tol);

  // TRPO's Fisher-vector product composed from jvp, the head's Fisher and vjp.
  Matrix<T> mjv(2, batch);
  if (c["head"].string() == "categorical") {
    for (Index b = 0; b < batch; ++b) {
      const Vector<T> e = (y.col(b).array() - y.col(b).maxCoeff()).exp();
      const Vector<T> prob = e / e.sum();
      const Matrix<T> m = Matrix<T>(prob.asDiagonal()) - prob * prob.transpose();
      mjv.col(b) = m * jv.col(b) / static_cast<T>(batch);
    }
    Vector<T> fvp = Vector<T>::Zero(net.num_parameters());
    net.vjp(ws, mjv, fvp);
    CHECK(max_err(to_torch_order(net, fvp), c["fvp"].vector()) <= tol);
  } else {
    const Vector<T> log_std = c["log_std"].template vector<T>();
    const Vector<T> precision = (-2 * log_std.array()).exp();
    mjv = (precision.asDiagonal() * jv) / static_cast<T>(batch);
    Vector<T> fvp = Vector<T>::Zero(net.num_parameters());
    net.vjp(ws, mjv, fvp);
    CHECK(max_err(to_torch_order(net, fvp), c["fvp"].vector().head(130)) <= tol);
  }
}

}  // namespace

TEST_CASE("Mlp matches PyTorch's forward, gradients, JVP and Fisher-vector product (mlp.json)", "[conformance]") {
  const auto file = theta::test::data_dir("THETA_TORCH_REFERENCE", "torch") / "mlp.json";
  const auto data = theta::test::Json::load(file.string());
  REQUIRE(data["cases"].size() == 3);
  for (std::size_t i = 0; i < data["cases"].size(); ++i) {
    const auto& c = data["cases"][i];
    for (const Index extra : {Index{0}, Index{5}}) {
      SECTION(c["name"].string() + " double, capacity batch+" + std::to_string(extra)) {
        check_case<double>(c, 1e-12, extra);
      }
      SECTION(c["name"].string() + " float, capacity batch+" + std::to_string(extra)) {
        check_case<float>(c, 1e-5, extra);
      }
    }
  }
}

namespace {

struct Shape {
  Index inputs;
  std::vector<Index> hidden;
  Index outputs;
  Index batch;
  Activation hidden_activation;
  Activation output_activation;
};

// Independent forward in plain Eigen: returns the smallest |pre-activation| of the ReLU/ELU
// layers (their kinks) and the output.
double smallest_kink_distance(const Mlp<double>& net, const Eigen::MatrixXd& x) {
  Eigen::MatrixXd a = x;
  double nearest = 1e300;
  for (Index l = 0; l < net.num_layers(); ++l) {
    const Eigen::MatrixXd z = (net.layer(l).weight() * a).colwise() + net.layer(l).bias();
    const Activation f = net.activation(l);
    if (f == Activation::relu || f == Activation::elu) nearest = std::min(nearest, z.cwiseAbs().minCoeff());
    a = z;
    theta::nn::activate(f, std::span<double>(a.data(), static_cast<std::size_t>(a.size())));
  }
  return nearest;
}

double loss(const Mlp<double>& net, const Eigen::MatrixXd& x, const Eigen::MatrixXd& cotangent) {
  return (net.predict(x).array() * cotangent.array()).sum();
}

// dL/dtheta and dL/dx by central differences of `loss_of(net, x)` with step h, one entry at a time.
template <class Loss>
std::pair<Eigen::VectorXd, Eigen::MatrixXd> fd_gradients(const Mlp<double>& net, const Eigen::MatrixXd& x, Loss loss_of,
                                                         double h) {
  Mlp<double> probe = net;
  return {numerical_gradient([&] { return loss_of(probe, x); }, probe.parameters(), {.step = h}),
          numerical_gradient([&](const Eigen::MatrixXd& in) { return loss_of(net, in); }, x, {.step = h})};
}

Eigen::MatrixXd normal_matrix(Index rows, Index cols, Rng& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal();
  return m;
}

}  // namespace

TEST_CASE("Mlp backward and JVP agree with central finite differences in double", "[gradient]") {
  const std::vector<Shape> shapes = {
      {3, {5}, 2, 1, Activation::tanh, Activation::identity},
      {4, {6, 7}, 3, 5, Activation::relu, Activation::identity},
      {2, {4, 3, 5}, 1, 7, Activation::identity, Activation::identity},
      {5, {8, 8}, 2, 4, Activation::sigmoid, Activation::tanh},
      {3, {6, 4}, 2, 3, Activation::elu, Activation::identity},
      {3, {}, 2, 3, Activation::tanh, Activation::identity},
      // Large enough for the GEMM and GEMV paths (including a single output row and batch 1).
      {6, {32, 24}, 3, 40, Activation::tanh, Activation::identity},
      {6, {32, 24}, 1, 40, Activation::relu, Activation::identity},
      {16, {32}, 8, 1, Activation::relu, Activation::tanh},
  };
  const double h = 1e-6;
  // Central differences: truncation O(h^2) ~ 1e-12 and rounding ~ 1e-16 |L| / h ~ 1e-9.
  const double tol = 1e-6;
  for (std::size_t s = 0; s < shapes.size(); ++s) {
    const Shape& shape = shapes[s];
    INFO("shape " << s << ": " << shape.inputs << " -> " << shape.hidden.size() << " hidden -> " << shape.outputs
                  << ", batch " << shape.batch << ", " << theta::nn::to_string(shape.hidden_activation));
    Mlp<double> net({.inputs = shape.inputs,
                     .hidden = shape.hidden,
                     .outputs = shape.outputs,
                     .hidden_activation = shape.hidden_activation,
                     .output_activation = shape.output_activation});
    Rng rng(100 + s);
    theta::nn::init_xavier_uniform(net, rng, 1.5);
    for (Index k = 0; k < net.num_parameters(); ++k) net.parameters()[k] += 0.1 * rng.normal();  // non-zero biases
    // Redraw the inputs until no ReLU/ELU pre-activation is within 1e-3 of its kink, where the
    // finite difference would straddle it.
    Eigen::MatrixXd x = normal_matrix(shape.inputs, shape.batch, rng);
    while (smallest_kink_distance(net, x) < 1e-3) x = normal_matrix(shape.inputs, shape.batch, rng);
    const Eigen::MatrixXd cotangent = normal_matrix(shape.outputs, shape.batch, rng);

    auto ws = net.make_workspace(shape.batch + 2);
    net.forward(x, ws);
    net.zero_grad();
    Eigen::MatrixXd input_grad(shape.inputs, shape.batch);
    net.backward(ws, cotangent, input_grad);

    // Parameter gradients, one coordinate at a time, then input gradients.
    const auto loss_of = [&](const Mlp<double>& m, const Eigen::MatrixXd& in) { return loss(m, in, cotangent); };
    const auto [fd_params, fd_input] = fd_gradients(net, x, loss_of, h);
    CHECK(max_err(net.gradients(), fd_params) <= tol);
    CHECK(max_err(input_grad, fd_input) <= tol);

    // JVP along a random parameter direction, then along parameters and inputs together.
    const Eigen::VectorXd v = normal_matrix(net.num_parameters(), 1, rng);
    const Eigen::MatrixXd u = normal_matrix(shape.inputs, shape.batch, rng);
    Mlp<double> plus = net, minus = net;
    plus.parameters() += h * v;
    minus.parameters() -= h * v;
    Eigen::MatrixXd jv(shape.outputs, shape.batch);
    net.jvp(ws, v, jv);
    CHECK(max_err(jv, (plus.predict(x) - minus.predict(x)) / (2 * h)) <= tol);
    net.jvp(ws, v, u, jv);
    CHECK(max_err(jv, (plus.predict(x + h * u) - minus.predict(x - h * u)) / (2 * h)) <= tol);

    // The adjoint identity <dy, J v> = <J^T dy, v> ties vjp to jvp exactly (up to rounding).
    Eigen::VectorXd jt_dy = Eigen::VectorXd::Zero(net.num_parameters());
    net.jvp(ws, v, jv);
    net.vjp(ws, cotangent, jt_dy);
    CHECK(std::abs((cotangent.array() * jv.array()).sum() - jt_dy.dot(v)) <= 1e-12 * std::max(1.0, jt_dy.norm() * v.norm()));
  }
}

TEST_CASE("MlpConfig is validated and names the field", "[unit]") {
  REQUIRE_THROWS_AS(Mlp<float>({.inputs = 0, .outputs = 2}), theta::ConfigError);
  REQUIRE_THROWS_WITH(Mlp<float>({.inputs = 4, .outputs = 0}), Catch::Contains("MlpConfig::outputs must be >= 1, got 0"));
  REQUIRE_THROWS_WITH(Mlp<float>({.inputs = 4, .hidden = {64, 0}, .outputs = 2}),
                      Catch::Contains("MlpConfig::hidden[1] must be >= 1, got 0"));
  const Mlp<float> net({.inputs = 4, .outputs = 2});
  REQUIRE_THROWS_WITH(net.make_workspace(0), Catch::Contains("max_batch must be >= 1, got 0"));
}

TEST_CASE("Mlp: one flat buffer, layer views in the documented column-major layout", "[unit]") {
  Mlp<float> net({.inputs = 3, .hidden = {5}, .outputs = 2});
  REQUIRE(net.num_layers() == 2);
  REQUIRE(net.num_parameters() == 5 * 3 + 5 + 2 * 5 + 2);
  REQUIRE(net.offset(0) == 0);
  REQUIRE(net.offset(1) == 20);
  REQUIRE(net.gradients().size() == net.num_parameters());
  for (Index k = 0; k < net.num_parameters(); ++k) {
    net.parameters()[k] = static_cast<float>(k);
    net.gradients()[k] = static_cast<float>(-k);
  }
  for (Index l = 0; l < net.num_layers(); ++l) {
    const auto layer = net.layer(l);
    for (Index i = 0; i < layer.outputs(); ++i) {
      for (Index j = 0; j < layer.inputs(); ++j) {
        REQUIRE(layer.weight()(i, j) == static_cast<float>(net.offset(l) + j * layer.outputs() + i));
        REQUIRE(layer.weight_grad()(i, j) == -static_cast<float>(net.offset(l) + j * layer.outputs() + i));
      }
      REQUIRE(layer.bias()(i) == static_cast<float>(net.offset(l) + layer.outputs() * layer.inputs() + i));
      REQUIRE(layer.bias_grad()(i) == -static_cast<float>(net.offset(l) + layer.outputs() * layer.inputs() + i));
    }
  }
  net.layer(1).bias()(1) = 42.0f;  // views write through
  REQUIRE(net.parameters()[net.num_parameters() - 1] == 42.0f);
  net.zero_grad();
  REQUIRE(net.gradients().isZero());
  const Mlp<float>& view = net;
  const theta::nn::Linear<const float> read_only = view.layer(1);
  REQUIRE(read_only.bias()(1) == 42.0f);
}

TEMPLATE_TEST_CASE("Mlp: a batch below capacity, two workspaces, in-place input", "[unit]", float, double) {
  using T = TestType;
  Mlp<T> net({.inputs = 4, .hidden = {64, 64}, .outputs = 2});
  Rng rng(7);
  theta::nn::init_orthogonal(net, std::sqrt(2.0), 0.01, rng);
  Matrix<T> x(4, 37), dy(2, 37), x2(4, 20), dy2(2, 20);
  for (auto* m : {&x, &dy, &x2, &dy2}) {
    for (Index k = 0; k < m->size(); ++k) m->data()[k] = rng.normal<T>();
  }

  auto exact = net.make_workspace(37);
  auto roomy = net.make_workspace(100);
  const Matrix<T> y = net.forward(x, exact);
  Matrix<T> g_exact(4, 37), g_roomy(4, 37);
  net.zero_grad();
  net.backward(exact, dy, g_exact);
  const Vector<T> grad_exact = net.gradients();
  // The same blocking and order of operations: the results are identical, not just close.
  REQUIRE(net.forward(x, roomy) == y);
  net.zero_grad();
  net.backward(roomy, dy, g_roomy);
  REQUIRE(net.gradients() == grad_exact);
  REQUIRE(g_roomy == g_exact);
  REQUIRE(net.predict(x) == y);

  // Two batches recorded before either backward (SAC: Q(s, a) and Q(s', a')).
  auto second = net.make_workspace(20);
  net.forward(x, exact);
  const Matrix<T> y2 = net.forward(x2, second);
  REQUIRE(exact.output() == y);  // the first tape is untouched by the second forward
  net.zero_grad();
  net.backward(second, dy2);
  const Vector<T> grad_second = net.gradients();
  net.backward(exact, dy);  // accumulates
  REQUIRE(net.gradients().isApprox(grad_exact + grad_second, T(1e-5)));

  // Input written in place through the workspace, and an input gradient alone.
  auto ws = net.make_workspace(37);
  auto in = ws.input(37);
  in.topRows(3) = x.topRows(3);
  in.bottomRows(1) = x.bottomRows(1);
  REQUIRE(net.forward(ws) == y);
  const Vector<T> before = net.gradients();
  Matrix<T> g_only(4, 37);
  net.input_gradient(ws, dy, g_only);
  REQUIRE(g_only == g_exact);
  REQUIRE(net.gradients() == before);
}

TEST_CASE("Mlp: misuse of a workspace is an error that says what is wrong", "[unit]") {
  Mlp<double> net({.inputs = 3, .hidden = {8}, .outputs = 2});
  Mlp<double> twin({.inputs = 3, .hidden = {8}, .outputs = 2});
  Mlp<double> other({.inputs = 3, .hidden = {9}, .outputs = 2});
  auto ws = net.make_workspace(4);
  const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(3, 4);
  Eigen::MatrixXd dx(3, 4), out(2, 4);
  REQUIRE_THROWS_WITH(net.backward(ws, Eigen::MatrixXd::Ones(2, 4)), Catch::Contains("no forward pass"));
  REQUIRE_THROWS_WITH(net.forward(Eigen::MatrixXd::Ones(3, 5), ws), Catch::Contains("batch must be in [1, 4], got 5"));
  REQUIRE_THROWS_WITH(net.forward(Eigen::MatrixXd::Ones(2, 4), ws), Catch::Contains("x must have 3 rows, got 2"));
  REQUIRE_THROWS_WITH(other.forward(x, ws), Catch::Contains("another network shape"));
  net.forward(x, ws);
  REQUIRE_THROWS_WITH(twin.backward(ws, Eigen::MatrixXd::Ones(2, 4)), Catch::Contains("no forward pass of this network"));
  REQUIRE_THROWS_WITH(net.backward(ws, Eigen::MatrixXd::Ones(2, 3)), Catch::Contains("dy must be 2 x 4, got 2 x 3"));
  REQUIRE_THROWS_WITH(net.backward(ws, Eigen::MatrixXd::Ones(2, 4), out),
                      Catch::Contains("input_grad must be 3 x 4, got 2 x 4"));
  REQUIRE_THROWS_WITH(net.jvp(ws, Eigen::VectorXd::Ones(5), out), Catch::Contains("tangent must have 50 entries, got 5"));
  REQUIRE_THROWS_WITH(net.jvp(ws, Eigen::VectorXd::Ones(50), dx), Catch::Contains("out must be 2 x 4, got 3 x 4"));
  (void)ws.input(2);  // a new input invalidates the recorded pass
  REQUIRE_THROWS_WITH(net.jvp(ws, Eigen::VectorXd::Ones(50), out), Catch::Contains("no forward pass"));
}

namespace {

// The training-mode output with given masks, in plain Eigen from the layer views: every hidden
// activation times mask / (1 - p). `nearest`, if given, gets the smallest |pre-activation| of
// the ReLU/ELU layers (their kinks) under these masks.
Eigen::MatrixXd masked_reference(const Mlp<double>& net, const Eigen::MatrixXd& x, const Eigen::MatrixXd& masks,
                                 double* nearest = nullptr) {
  const double scale = 1.0 / (1.0 - net.config().dropout);
  Eigen::MatrixXd a = x;
  Index row = 0;
  if (nearest != nullptr) *nearest = 1e300;
  for (Index l = 0; l < net.num_layers(); ++l) {
    a = (net.layer(l).weight() * a).colwise() + net.layer(l).bias();
    const Activation f = net.activation(l);
    if (nearest != nullptr && (f == Activation::relu || f == Activation::elu)) {
      *nearest = std::min(*nearest, a.cwiseAbs().minCoeff());
    }
    theta::nn::activate(net.activation(l), std::span<double>(a.data(), static_cast<std::size_t>(a.size())));
    if (l + 1 < net.num_layers()) {
      a = a.cwiseProduct(masks.middleRows(row, a.rows()) * scale);
      row += a.rows();
    }
  }
  return a;
}

}  // namespace

TEST_CASE("Mlp dropout: masked passes match plain Eigen and central finite differences", "[gradient]") {
  const std::vector<Shape> shapes = {
      {3, {6, 5}, 2, 4, Activation::tanh, Activation::identity},
      {4, {32, 24}, 2, 40, Activation::relu, Activation::identity},  // the GEMM paths
      {4, {128}, 2, 9, Activation::relu, Activation::identity},     // the REINFORCE policy's shape
  };
  const double h = 1e-6, tol = 1e-6;
  for (std::size_t s = 0; s < shapes.size(); ++s) {
    const Shape& shape = shapes[s];
    INFO("shape " << s);
    Mlp<double> net({.inputs = shape.inputs,
                     .hidden = shape.hidden,
                     .outputs = shape.outputs,
                     .hidden_activation = shape.hidden_activation,
                     .output_activation = shape.output_activation,
                     .dropout = 0.4});
    Index hidden_units = 0;
    for (const Index w : shape.hidden) hidden_units += w;
    REQUIRE(net.mask_rows() == hidden_units);
    Rng rng(300 + s);
    theta::nn::init_xavier_uniform(net, rng, 1.5);
    for (Index k = 0; k < net.num_parameters(); ++k) net.parameters()[k] += 0.1 * rng.normal();
    // Sampled masks, then the same pass recomputed from them in another workspace. Inputs and
    // masks are redrawn until no ReLU pre-activation under the masks is within 1e-3 of its
    // kink, where a finite difference would straddle it.
    auto ws = net.make_workspace(shape.batch);
    Eigen::MatrixXd x, y, masks;
    double nearest = 0;
    while (nearest < 1e-3) {
      x = normal_matrix(shape.inputs, shape.batch, rng);
      y = net.forward(x, ws, rng);
      masks = ws.masks();
      masked_reference(net, x, masks, &nearest);
    }
    const Eigen::MatrixXd cotangent = normal_matrix(shape.outputs, shape.batch, rng);
    REQUIRE(masks.rows() == hidden_units);
    REQUIRE(masks.cols() == shape.batch);
    REQUIRE((masks.array() == 0 || masks.array() == 1).all());
    REQUIRE(masks.sum() > 0);
    REQUIRE(masks.sum() < static_cast<double>(masks.size()));
    auto again = net.make_workspace(shape.batch + 3);
    REQUIRE(net.forward(x, again, masks) == y);
    CHECK(max_err(y, masked_reference(net, x, masks)) <= 1e-12);
    CHECK(max_err(net.predict(x), masked_reference(net, x, Eigen::MatrixXd::Constant(masks.rows(), masks.cols(), 0.6))) <=
          1e-12);  // evaluation mode: no mask, no scaling (mask 1 - p times 1 / (1 - p))

    net.zero_grad();
    Eigen::MatrixXd input_grad(shape.inputs, shape.batch);
    net.backward(ws, cotangent, input_grad);
    const auto masked_loss = [&](const Mlp<double>& m, const Eigen::MatrixXd& in) {
      return (masked_reference(m, in, masks).array() * cotangent.array()).sum();
    };
    const auto [fd_params, fd_input] = fd_gradients(net, x, masked_loss, h);
    CHECK(max_err(net.gradients(), fd_params) <= tol);
    CHECK(max_err(input_grad, fd_input) <= tol);

    // JVP through the masks, and its adjoint identity with vjp.
    const Eigen::VectorXd v = normal_matrix(net.num_parameters(), 1, rng);
    Mlp<double> plus = net, minus = net;
    plus.parameters() += h * v;
    minus.parameters() -= h * v;
    Eigen::MatrixXd jv(shape.outputs, shape.batch);
    net.jvp(again, v, jv);
    CHECK(max_err(jv, (masked_reference(plus, x, masks) - masked_reference(minus, x, masks)) / (2 * h)) <= tol);
    Eigen::VectorXd jt_dy = Eigen::VectorXd::Zero(net.num_parameters());
    net.vjp(again, cotangent, jt_dy);
    CHECK(std::abs((cotangent.array() * jv.array()).sum() - jt_dy.dot(v)) <= 1e-12 * std::max(1.0, jt_dy.norm() * v.norm()));
  }
}

TEST_CASE("Mlp dropout: masks are kept at rate 1 - p, evaluation passes have none, misuse is named", "[unit]") {
  Mlp<float> net({.inputs = 4, .hidden = {128}, .outputs = 2, .hidden_activation = Activation::relu, .dropout = 0.6});
  Rng rng(7);
  theta::nn::init_torch_default(net, rng);
  const Matrix<float> x = Matrix<float>::Random(4, 500);
  auto ws = net.make_workspace(500);
  const Matrix<float> y = net.forward(x, ws, rng);
  // 64,000 Bernoulli(0.4) draws: the kept fraction has standard deviation 0.0019.
  CHECK(std::abs(ws.masks().template cast<double>().mean() - 0.4) < 0.01);
  const Matrix<float> masks = ws.masks();
  net.forward(x, ws, rng);
  CHECK(ws.masks() != masks);  // fresh draws
  net.forward(x, ws);
  CHECK(ws.masks().rows() == 0);  // evaluation mode
  CHECK(net.forward(x, ws, masks) == y);

  // Without dropout the training pass is the evaluation pass and draws nothing.
  Mlp<float> plain({.inputs = 4, .hidden = {128}, .outputs = 2, .hidden_activation = Activation::relu});
  plain.parameters() = net.parameters();
  auto plain_ws = plain.make_workspace(500);
  Rng before = rng;
  CHECK(plain.forward(x, plain_ws, rng) == plain.predict(x));
  CHECK(rng.uniform() == before.uniform());
  CHECK(plain.mask_rows() == 0);
  CHECK(plain_ws.masks().rows() == 0);

  REQUIRE_THROWS_WITH(Mlp<float>({.inputs = 4, .outputs = 2, .dropout = 1.0}),
                      Catch::Contains("MlpConfig::dropout must be in [0, 1), got 1"));
  REQUIRE_THROWS_WITH(Mlp<float>({.inputs = 4, .outputs = 2, .dropout = -0.1}),
                      Catch::Contains("MlpConfig::dropout must be in [0, 1), got -0.1"));
  REQUIRE_THROWS_WITH(net.forward(x, ws, Matrix<float>::Ones(127, 500)),
                      Catch::Contains("masks must be 128 x 500, got 127 x 500"));
  REQUIRE_THROWS_WITH(net.forward(x, ws, Matrix<float>::Constant(128, 500, 2.5f)),
                      Catch::Contains("masks must hold 0 (dropped) or 1 (kept)"));
  REQUIRE_THROWS_WITH(net.forward(x, plain_ws), Catch::Contains("another network shape (or dropout setting)"));
}
