#!/usr/bin/env python3
"""Lists the functions a kernel source file defines, as policy entries.

A compartment that is "the functions of net/ipv6/ip6_output.c" needs the
names of those functions. This reads the file from a kernel source tree or
from Debian's linux-source tarball and prints one `function: "NAME?"` line
per definition. Every entry is optional ('?'): the compiler may inline a
static function into its callers, and the resolver then reports it absent
on that kernel instead of failing.

  tools/functions_of_source.py net/ipv6/ip6_output.c \
      --tarball /usr/src/linux-source-6.1.tar.xz
  tools/functions_of_source.py path/to/linux/net/ipv6/ip6_output.c
"""
import argparse
import re
import sys
import tarfile

# A definition starts at column 0 with a return type and the name, then the
# parameter list, then the body's brace (possibly on the next line). Macros
# and declarations end in ';' or have no type before the name.
_DEFINITION = re.compile(
    r"^(?![\s#])(?P<head>[A-Za-z_][^;:{}()=]*?)\b(?P<name>[A-Za-z_]\w*)\s*"
    r"\((?P<params>[^;{}]*?)\)\s*(?:__\w+(?:\([^)]*\))?\s*)*\{",
    re.M | re.S)


def strip_comments(source):
    """Blanks comments, keeping line numbers."""
    source = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), source, flags=re.S)
    return re.sub(r"//[^\n]*", "", source)


def defined_functions(source):
    """Yields (name, is_static, line) for each function definition."""
    text = strip_comments(source)
    for m in _DEFINITION.finditer(text):
        head = m.group("head").split()
        if not head:  # "name(...) {": a macro used as a loop, not a definition
            continue
        line = text.count("\n", 0, m.start()) + 1
        yield m.group("name"), "static" in head, line


def read_source(path, tarball):
    if tarball is None:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.isfile() and member.name.split("/", 1)[-1] == path:
                return tar.extractfile(member).read().decode("utf-8", errors="replace")
    sys.exit(f"functions_of_source: {path} is not in {tarball}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the source file (inside the tarball, e.g. net/ipv6/ip6_output.c)")
    parser.add_argument("--tarball", help="a linux-source .tar.xz (Debian's linux-source-X)")
    args = parser.parse_args()
    source = read_source(args.path, args.tarball)
    seen = set()
    for name, is_static, line in defined_functions(source):
        if name in seen:
            continue
        seen.add(name)
        note = "static" if is_static else "global"
        print(f'  function: "{name}?"  # {args.path}:{line}, {note}')


if __name__ == "__main__":
    main()
