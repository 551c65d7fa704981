"""The CLI's exit codes, one definition for every command (no command defines its own)."""

EXIT_OK = 0
# The command ran and what it did failed: a step failed or was rejected, a check failed, the
# sandbox did not start, `optimize` found no feasible setting, a measurement was cut short.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # the config, a step or the command line is invalid
EXIT_UNREACHABLE = 3  # Redis or AWS cannot be reached
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): a container stopped, `kill`
