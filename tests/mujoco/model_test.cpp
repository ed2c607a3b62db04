// Loading models: files, strings, and the errors for a missing file or a broken model.
#include <theta/mujoco/model.hpp>

#include "test_models.hpp"

#include <catch2/catch.hpp>

namespace tmj = theta::mujoco;

TEST_CASE("model_from_xml compiles a model held in a string", "[unit][mujoco]") {
  const auto model = tmj::model_from_xml(theta::test::rail_xml());
  CHECK(model->nq == 1);
  CHECK(model->nu == 1);
  CHECK(model->opt.timestep == 0.01);
}

TEST_CASE("load_model names a missing file and MuJoCo's complaint about a broken one", "[unit][mujoco]") {
  CHECK_THROWS_WITH(tmj::load_model("/nonexistent/robot.xml"), Catch::Contains("no model file at '/nonexistent/robot.xml'"));
  CHECK_THROWS_AS(tmj::load_model("/nonexistent/robot.xml"), theta::ConfigError);
  CHECK_THROWS_WITH(tmj::model_from_xml("<mujoco><worldbody><body><geom type=\"nonsense\"/></body></worldbody></mujoco>"),
                    Catch::Contains("MuJoCo cannot compile the model") && Catch::Contains("nonsense"));
  CHECK_THROWS_AS(tmj::model_from_xml("<mujoco>"), tmj::MujocoError);
}
