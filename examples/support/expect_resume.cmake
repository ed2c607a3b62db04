# The examples' resume contract (cmake -P, for CTest):
#   cmake -DPROGRAM=<file> -DA=<steps> -DB=<steps> -DDIR=<scratch dir> -P expect_resume.cmake
# Trains A steps and saves, resumes and trains B more and saves; trains A + B steps in one run and
# saves; the two checkpoints must be byte-identical. Also exports the policy of the resumed run.
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
math(EXPR total "${A} + ${B}")
function(run)
  execute_process(COMMAND ${PROGRAM} ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  # The examples exit 1 when the short run does not solve the task: only a crash or a usage
  # error (2) fails here.
  if(NOT (status STREQUAL "0" OR status STREQUAL "1"))
    message(FATAL_ERROR "${PROGRAM} ${ARGN}: exit status ${status}\n${out}${err}")
  endif()
  if("${err}" MATCHES "error:")
    message(FATAL_ERROR "${PROGRAM} ${ARGN}: ${err}")
  endif()
endfunction()
run(--steps ${A} --save "${DIR}/first.ckpt")
run(--resume "${DIR}/first.ckpt" --steps ${B} --save "${DIR}/resumed.ckpt" --export "${DIR}/policy.theta")
run(--steps ${total} --save "${DIR}/straight.ckpt")
foreach(f first.ckpt resumed.ckpt straight.ckpt policy.theta)
  if(NOT EXISTS "${DIR}/${f}")
    message(FATAL_ERROR "${f} was not written")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${DIR}/resumed.ckpt" "${DIR}/straight.ckpt"
                RESULT_VARIABLE different)
if(different)
  message(FATAL_ERROR "${PROGRAM}: resuming after ${A} steps and training ${B} more did not give the checkpoint of "
                      "${total} steps in one run")
endif()
message(STATUS "${PROGRAM}: ${A} + ${B} steps resumed == ${total} steps straight, byte for byte")
