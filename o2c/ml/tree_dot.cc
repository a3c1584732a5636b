#include "o2c/ml/tree_dot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "o2c/internal/file_util.h"

namespace o2c::ml {
namespace {

constexpr const char* kLeafColors[] = {"#b7e4c7", "#f4a6a6", "#a9c8f0", "#f6d98b", "#d3b4f0"};

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}});
}

std::string Weights(const TreeNode& n) {
  if (n.class_weights.empty()) return "";
  return absl::StrCat("\\n[", absl::StrJoin(n.class_weights, ", "), "]");
}

// Closes `fd` once: sets it to -1.
void CloseOnce(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

std::string TreeToDot(const DecisionTree& tree, const FeatureSchema& schema,
                      const std::vector<std::string>& class_names) {
  std::string out =
      "digraph audition_tree {\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n"
      "  edge [fontname=\"Helvetica\"];\n";
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    const TreeNode& n = tree.nodes[i];
    if (n.is_leaf()) {
      const std::string name = n.label < static_cast<int>(class_names.size())
                                   ? class_names[n.label] : absl::StrCat("class ", n.label);
      absl::StrAppend(&out, "  n", i, " [label=\"", Escape(name), "\\nleaf ", n.leaf_id,
                      Weights(n), "\", fillcolor=\"", kLeafColors[n.label % 5], "\"];\n");
      continue;
    }
    absl::StrAppend(&out, "  n", i, " [label=\"", Escape(schema.Name(n.feature)), " <= ",
                    Escape(schema.FormatValue(n.feature, n.threshold)), Weights(n), "\"];\n");
    absl::StrAppend(&out, "  n", i, " -> n", n.left, " [label=\"yes\"];\n");
    absl::StrAppend(&out, "  n", i, " -> n", n.right, " [label=\"no\"];\n");
  }
  out += "}\n";
  return out;
}

absl::Status RenderDot(const std::string& dot, const std::string& format,
                       const std::string& out_path, const std::string& dot_binary) {
  if (access(dot_binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        out_path, ": cannot render: graphviz's ", dot_binary,
        " is missing (install graphviz, see tools/setup.sh); write --dot instead"));
  }
  int in_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  absl::Cleanup close_pipes = [&] {
    for (int* fd : {&in_pipe[0], &in_pipe[1], &err_pipe[0], &err_pipe[1]}) CloseOnce(*fd);
  };
  if (pipe(in_pipe) != 0 || pipe(err_pipe) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(out_path, ": pipe"));
  }
  const std::string type_flag = "-T" + format;
  pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, absl::StrCat(out_path, ": fork"));
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    execl(dot_binary.c_str(), dot_binary.c_str(), type_flag.c_str(), "-o", out_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  CloseOnce(in_pipe[0]);
  CloseOnce(err_pipe[1]);
  const bool written = internal::WriteAll(in_pipe[1], dot);
  CloseOnce(in_pipe[1]);  // dot reads to end of file before it exits
  std::string errors;
  char buffer[512];
  for (ssize_t n; (n = read(err_pipe[0], buffer, sizeof(buffer))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    errors.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!written || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(out_path, ": ", dot_binary, " ", type_flag,
                                            " failed (status ", status, "): ", errors));
  }
  return absl::OkStatus();
}

}  // namespace o2c::ml
