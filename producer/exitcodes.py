"""The CLI's exit codes, one definition for every command."""

EXIT_OK = 0
EXIT_STEP_FAILED = 1  # a step (or a check) failed or was rejected
EXIT_BAD_INPUT = 2  # the config, a step or the command line is invalid
EXIT_UNREACHABLE = 3  # Redis or AWS cannot be reached
