"""``completion bash|zsh|fish``: shell completion scripts generated from the parser.

The scripts are built from the argparse parser itself (commands, their
subcommands and options), so every command module registered in
``COMMAND_MODULES`` is completed without being listed here. They complete
both ``litetrack`` (the console script) and ``python -m litetrack``; any
other ``python`` command line keeps file-name completion.
"""

from __future__ import annotations

import argparse
import sys

from litetrack.cli.common import examples

#: The key of the top level in the generated word tables.
ROOT = "_"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``completion``."""
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a script that completes litetrack's commands, subcommands and "
        "options in your shell, for both `litetrack` and `python -m litetrack`. Load it from "
        "your shell's start-up file.",
        epilog=examples(
            'completion bash >> ~/.bashrc      # or: eval "$(python -m litetrack completion bash)"',
            "completion zsh > ~/.zfunc/_litetrack",
            "completion fish > ~/.config/fish/completions/litetrack.fish",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell to complete in")
    p.set_defaults(func=cmd_completion)


def word_table(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Command path (``"_ models ls"``) -> the words that may follow it (subcommands, options)."""
    table: dict[str, list[str]] = {}

    def walk(p: argparse.ArgumentParser, key: str) -> None:
        words: list[str] = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    words.append(name)
                    walk(child, f"{key} {name}")
            elif action.option_strings:
                words.extend(o for o in action.option_strings if o.startswith("--"))
            elif action.choices:
                words.extend(str(c) for c in action.choices)
        table[key] = sorted(dict.fromkeys(words), key=lambda w: (w.startswith("-"), w))

    walk(parser, ROOT)
    return table


def _bash(table: dict[str, list[str]]) -> str:
    entries = "\n".join(f'    ["{k}"]="{" ".join(v)}"' for k, v in sorted(table.items()))
    return f"""# litetrack completion for bash (python -m litetrack completion bash)
declare -gA _litetrack_words=(
{entries}
)
_litetrack_complete() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} key={ROOT} i=1 w
    if [[ ${{COMP_WORDS[0]}} == python* ]]; then
        if [[ ${{COMP_WORDS[1]}} != -m || ${{COMP_WORDS[2]}} != litetrack ]]; then
            COMPREPLY=($(compgen -f -- "$cur"))
            return
        fi
        i=3
    fi
    for ((; i < COMP_CWORD; i++)); do
        w=${{COMP_WORDS[i]}}
        [[ $w == -* ]] && continue
        [[ -n ${{_litetrack_words["$key $w"]+x}} ]] && key="$key $w"
    done
    COMPREPLY=($(compgen -W "${{_litetrack_words[$key]}}" -- "$cur"))
}}
complete -o default -F _litetrack_complete litetrack python python3
"""


def _zsh(table: dict[str, list[str]]) -> str:
    entries = "\n".join(f'    "{k}" "{" ".join(v)}"' for k, v in sorted(table.items()))
    return f"""#compdef litetrack python python3
# litetrack completion for zsh (python -m litetrack completion zsh)
typeset -gA _litetrack_words
_litetrack_words=(
{entries}
)
_litetrack() {{
    local key={ROOT} i start=2 w
    if [[ $words[1] == python* ]]; then
        if [[ $words[2] != -m || $words[3] != litetrack ]]; then
            _files
            return
        fi
        start=4
    fi
    for ((i = start; i < CURRENT; i++)); do
        w=$words[i]
        [[ $w == -* ]] && continue
        (( ${{+_litetrack_words[$key $w]}} )) && key="$key $w"
    done
    compadd -- ${{=_litetrack_words[$key]}}
    _files
}}
compdef _litetrack litetrack python python3
"""


def _fish(table: dict[str, list[str]]) -> str:
    cases = "\n".join(
        f"        case '{k}'\n            printf '%s\\n' {' '.join(v)}"
        for k, v in sorted(table.items())
    )
    keys = " ".join(f"'{k}'" for k in sorted(table))
    return f"""# litetrack completion for fish (python -m litetrack completion fish)
set -g __litetrack_keys {keys}
function __litetrack_words
    switch $argv[1]
{cases}
    end
end
function __litetrack_complete
    set -l tokens (commandline -opc)
    set -l start 2
    if string match -q 'python*' -- $tokens[1]
        if test (count $tokens) -lt 3; or test "$tokens[2]" != -m; or test "$tokens[3]" != litetrack
            return
        end
        set start 4
    end
    set -l key {ROOT}
    for i in (seq $start (count $tokens))
        set -l w $tokens[$i]
        string match -q -- '-*' $w; and continue
        contains -- "$key $w" $__litetrack_keys; and set key "$key $w"
    end
    __litetrack_words $key
end
complete -c litetrack -f -a '(__litetrack_complete)'
complete -c python -a '(__litetrack_complete)'
complete -c python3 -a '(__litetrack_complete)'
"""


def script(shell: str, parser: argparse.ArgumentParser | None = None) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    if parser is None:
        from litetrack.cli import build_parser

        parser = build_parser()
    table = word_table(parser)
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](table)


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the script for ``args.shell``."""
    sys.stdout.write(script(args.shell))
    return 0
