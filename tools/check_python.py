"""Before the workshop's setup downloads anything: is this Python one the pinned packages install on, can it make
a virtual environment, and is there room for it all? The README's setup command runs this first, with the same
`python3` that makes the virtual environment. Without it, an older Python downloads about 3 GB, fails on a package
built for newer ones (numpy 2.4.6 needs 3.11) and leaves a broken `.venv` behind.

Written for any Python 3 (no f-strings, no newer syntax), so that an old one gets the message rather than a
SyntaxError. Prints nothing and exits 0 when all is well; otherwise prints one line and exits 1.
"""

import importlib.util
import os
import shutil
import sys

OLDEST = (3, 11)  # numpy 2.4.6 and torch 2.14.1 publish no wheels for older Pythons
NEWEST = (3, 14)  # the newest Python every pinned package publishes wheels for
NEEDED_GB = 10  # the environment (about 6 GB: PyTorch's Linux build carries the CUDA libraries), pip's cache (3 GB)


def problem(version, free_bytes, has_ensurepip=True):
    """What stops the setup, as one sentence, or None."""
    release = "%d.%d.%d" % tuple(version[:3])
    if tuple(version[:2]) < OLDEST or tuple(version[:2]) > NEWEST:
        return ("The workshop needs Python 3.11 to 3.14, and this python3 is %s. Install one of those (python.org, "
                "or on Ubuntu 22.04: sudo apt install python3.11 python3.11-venv) and run the setup command again "
                "with it in place of python3, for example python3.11." % release)
    if not has_ensurepip:
        return ("This Python %s cannot make a virtual environment: its venv package is missing. On Debian or "
                "Ubuntu: sudo apt install python%d.%d-venv, then run the setup command again."
                % ((release,) + tuple(version[:2])))
    if free_bytes is not None and free_bytes < NEEDED_GB * 10**9:
        return ("The workshop needs about %d GB of free disk (its environment about 6 GB, pip's cache of the downloads "
                "about 3 GB), and this folder's disk has %.1f GB free. Free some space and run the setup command "
                "again." % (NEEDED_GB, free_bytes / 1e9))
    return None


def free_space(folder):
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


if __name__ == "__main__":
    # Run again on a finished setup (.venv there), the setup needs little more room.
    message = problem(sys.version_info, None if os.path.isdir(".venv") else free_space(os.getcwd()),
                      has_ensurepip=importlib.util.find_spec("ensurepip") is not None)
    if message:
        sys.stderr.write(message + "\n")
        sys.exit(1)
