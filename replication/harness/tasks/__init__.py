"""One module per task, each with a single entry point ``run(ctx: TaskContext) -> TaskOutput``."""
