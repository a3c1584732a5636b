"""o2c_cc_proto_library: .proto -> C++ with the system protoc (Debian's protobuf-compiler).

A small genrule-based rule of ours instead of Bazel's proto toolchains, which
would need the protobuf sources as a repository. Imports are resolved from the
workspace root, so a .proto imports another as "o2c/policy/policy.proto".
"""

load("@rules_cc//cc:defs.bzl", "cc_library")
load("//tools/bazel:source_root.bzl", "source_root")

def o2c_cc_proto_library(name, srcs, deps = [], visibility = None):
    """Generates <src>.pb.{h,cc} for each of srcs and wraps them in a cc_library.

    Args:
      name: the cc_library's name.
      srcs: .proto files of this package.
      deps: other o2c_cc_proto_library targets whose .proto files srcs import.
      visibility: the cc_library's visibility.
    """
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
    root = source_root()  # imports are resolved from it
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_protos" for d in deps],
        outs = outs,
        tools = ["@protobuf//:protoc"],
        cmd = ("$(location @protobuf//:protoc) -I{root} --cpp_out=$(GENDIR)/{root} "
               .format(root = root)) +
              " ".join(["$(location %s)" % s for s in srcs]),
    )
    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@protobuf"],
        visibility = visibility,
    )
