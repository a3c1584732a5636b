"""Bazel 4's built-in ProtoInfo provider, re-exported."""

ProtoInfo = ProtoInfo
