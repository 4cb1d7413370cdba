"""One module per subcommand; each exposes one function ``(args, environ) -> exit code``."""
