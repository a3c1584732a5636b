"""Re-exports Bazel 4's native proto rules under the names rules_proto provides."""

load(":proto_info.bzl", _ProtoInfo = "ProtoInfo")

ProtoInfo = _ProtoInfo

def proto_library(**kwargs):
    native.proto_library(**kwargs)

def proto_lang_toolchain(**kwargs):
    native.proto_lang_toolchain(**kwargs)
