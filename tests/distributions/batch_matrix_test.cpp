#include <theta/distributions/detail/batch_matrix.hpp>

#include <catch2/catch.hpp>

using theta::detail::BatchMatrix;

TEST_CASE("BatchMatrix grows its storage only, and copies and moves rebind to their own", "[unit]") {
  BatchMatrix<double> m(2, 3);
  m.setConstant(1.0);
  const double* data = m.data();
  m.resize(2, 1);  // smaller: same storage
  REQUIRE(m.data() == data);
  REQUIRE(m.cols() == 1);
  m = Eigen::MatrixXd::Constant(3, 2, 4.0);  // 6 entries: still fits
  REQUIRE(m.data() == data);
  REQUIRE(m.rows() == 3);
  REQUIRE((m.array() == 4.0).all());
  m.resize(4, 4);  // larger: new storage
  REQUIRE(m.rows() == 4);
  m.setIdentity();

  BatchMatrix<double> copy(m);
  REQUIRE(copy.data() != m.data());
  REQUIRE(copy == m);
  copy(0, 0) = 7;
  REQUIRE(m(0, 0) == 1);

  const double* moved_data = copy.data();
  BatchMatrix<double> moved(std::move(copy));
  REQUIRE(moved.data() == moved_data);
  REQUIRE(moved(0, 0) == 7);
  REQUIRE(copy.size() == 0);

  BatchMatrix<double> assigned;
  assigned = moved;
  REQUIRE(assigned == moved);
  REQUIRE(assigned.data() != moved.data());
}
