"""`jauap`: one command with a subcommand per job. Each subcommand lives in its own module and
parses its own arguments, so `jauap <command> --help` always works."""

from __future__ import annotations

import importlib
import sys

# name → (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "up": ("jauap.up", "main", "run the whole system locally in the foreground (Ctrl-C stops it)"),
    "stack": ("jauap.stack.cli", "main", "install/start/stop the local Kafka and FerretDB"),
    "serve": ("jauap.serve", "main", "run one service: intake, classifier, desk, responder, sandbox"),
    "users": ("jauap.users_cmd", "main", "desk accounts: add, list, disable, enable, set-role, unlock…"),
    "simulate": ("jauap.simulator", "main", "send realistic citizen questions through a sandbox"),
    "bench": ("jauap.bench", "main", "measure pipeline throughput and latency against Kafka"),
    "classify": ("jauap.classify_cmd", "main", "classify JSON lines from stdin; --evaluate, --bench"),
    "train": ("jauap.classify_cmd", "train_main", "retrain the classifier model from its data"),
    "add-labels": ("jauap.classify_cmd", "add_labels_main", "add operator-corrected labels"),
    "export-labels": (
        "jauap.export_labels_cmd",
        "main",
        "write the desk's classification corrections for add-labels",
    ),
    "topics": ("jauap.topics_cmd", "main", "create the event and dead-letter topics"),
    "dlq": ("jauap.dlq_cmd", "main", "list, show and replay dead letters: dlq list TOPIC"),
    "trace": ("jauap.trace_cmd", "main", "a question's path through the services, with times per hop"),
}


def usage() -> str:
    lines = ["usage: jauap <command> [options]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    lines += [f"  {name:{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "`jauap <command> --help` describes each command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"jauap: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module, function, _ = COMMANDS[name]
    result: int = getattr(importlib.import_module(module), function)(rest)
    return result


if __name__ == "__main__":
    sys.exit(main())
