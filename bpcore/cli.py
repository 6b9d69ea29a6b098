"""One way for both commands to answer: bad usage is one `Error: …` line and exit code 2.

click's own usage errors print a usage block; `Commands` turns them, `InputError` and any
`click.ClickException` into one line (with click's hint to `--help` at most), and gives every
command `-h`, `--help` and `--version`.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from bpcore import __version__
from bpcore.errors import InputError

CONTEXT = {"help_option_names": ["-h", "--help"]}
# click 8.2+ answers a bare group (no command) with this UsageError, whose message is the whole help text:
# shown as click shows it (help on stderr, exit 2), not as one `Error: …` line. Older clicks print help, exit 0.
NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `Error: message` on stderr and exit (2: bad input or usage)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


class Commands(click.Group):
    """A click group whose errors are one line on stderr, never a usage block or a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NO_ARGS_IS_HELP as e:
            e.show()
            sys.exit(e.exit_code)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else prog_name or self.name
            fail(f"{e.format_message().rstrip('.')}; see '{where} --help'")
        except click.ClickException as e:
            fail(e.format_message(), e.exit_code)
        except InputError as e:
            fail(str(e))
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


def group(name: str):
    """The decorator for a command's top-level group: one-line errors, -h, --version."""
    def decorate(f):
        f = click.version_option(__version__, "--version", prog_name=name, message="%(prog)s %(version)s")(f)
        return click.group(name, cls=Commands, context_settings=CONTEXT)(f)
    return decorate
