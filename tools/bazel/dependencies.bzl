"""o2c_dependencies: the repositories O2C needs, for O2C's WORKSPACE and a product's.

Everything is local: Bazel's own rules from third_party/, the C and C++
libraries from Debian packages under /usr (tools/setup.sh installs them). A
product that depends on O2C through `local_repository(name = "o2c", ...)`
loads this file from @o2c and calls it with the same path (see
examples/consumer/WORKSPACE). A repository the product already declares
(its own rules_cc, say) is left as it is.
"""

_SYSTEM_LIBRARIES = [
    "abseil",
    "benchmark",
    "eigen",
    "googletest",
    "libbpf",
    "protobuf",
    "zlib",
    "zydis",
]

def o2c_dependencies(o2c_path = "."):
    """Declares the repositories O2C's BUILD files refer to.

    Args:
      o2c_path: O2C's source tree, relative to the calling workspace's root
        (or absolute).
    """

    # Bazel 4's default WORKSPACE suffix would fetch these from the network;
    # the build is offline, so they are local stand-ins.
    for rules in ["rules_cc", "rules_java", "rules_proto", "remote_coverage_tools"]:
        if not native.existing_rule(rules):
            native.local_repository(
                name = rules,
                path = "%s/third_party/%s" % (o2c_path, rules),
            )
    for lib in _SYSTEM_LIBRARIES:
        if not native.existing_rule(lib):
            native.new_local_repository(
                name = lib,
                build_file = "@o2c//third_party/system:%s.BUILD" % lib,
                path = "/usr",
            )
