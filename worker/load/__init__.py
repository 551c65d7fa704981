"""The worker's load side: apache bench's command line, run and report parser, and the
measurement a benchmark stage records."""
