# Runs a program and checks its exit status and output (cmake -P, for CTest):
#   cmake -DPROGRAM=<file> "-DARGS=a|b|c" -DSTATUS=2 "-DOUTPUT=<regex>" -P expect_exit.cmake
# ARGS separates the arguments with '|'; OUTPUT is matched against stdout and stderr together.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status STREQUAL STATUS)
  message(FATAL_ERROR "${PROGRAM} ${args}: exit status ${status}, expected ${STATUS}\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${OUTPUT}")
  message(FATAL_ERROR "${PROGRAM} ${args}: the output does not match '${OUTPUT}':\n${out}${err}")
endif()
message(STATUS "${PROGRAM} ${args}: exit status ${status}, output matches")
