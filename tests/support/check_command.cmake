# Runs a command and checks its exit status and output, for tests that need more than CTest's
# PASS_REGULAR_EXPRESSION (an exact exit status, an expected line written by a fixture).
#   cmake -DCOMMAND="prog|arg|arg" -DEXPECT_EXIT=1 [-DEXPECT_REGEX=re] [-DEXPECT_FILE=f] -P check_command.cmake
# COMMAND separates arguments with '|'; EXPECT_FILE's first line must appear in the output.
string(REPLACE "|" ";" command "${COMMAND}")
execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECT_EXIT}")
endif()
if(DEFINED EXPECT_REGEX AND NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "the output does not match '${EXPECT_REGEX}'")
endif()
if(DEFINED EXPECT_FILE)
  file(STRINGS "${EXPECT_FILE}" expected LIMIT_COUNT 1)
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the output does not contain '${expected}' (from ${EXPECT_FILE})")
  endif()
endif()
