"""Entry point of the frozen mammostudio bundle.

The same commands as the ``mammostudio`` console script, plus ``--self-test``
(first argument) as a short form of ``mammostudio self-test``, which the build
script runs on the finished bundle. ``freeze_support`` lets the worker
processes of ``mammostudio extract --workers N`` start inside the bundle.
"""
import multiprocessing
import sys


def _argv(args: list[str]) -> list[str]:
    if args and args[0] == "--self-test":
        return ["self-test", *args[1:]]
    return args


if __name__ == "__main__":
    multiprocessing.freeze_support()
    from mammostudio.cli import main

    sys.exit(main(_argv(sys.argv[1:])))
