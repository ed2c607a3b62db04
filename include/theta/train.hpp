#pragma once
/// \file The trainers, callbacks and evaluation.

#include <theta/train/async_config.hpp>
#include <theta/train/async_trainer.hpp>
#include <theta/train/callbacks.hpp>
#include <theta/train/episode_stats.hpp>
#include <theta/train/evaluate.hpp>
#include <theta/train/off_policy_config.hpp>
#include <theta/train/off_policy_trainer.hpp>
#include <theta/train/on_policy_config.hpp>
#include <theta/train/on_policy_trainer.hpp>
#include <theta/train/load_result.hpp>
#include <theta/train/training_result.hpp>
