#include "o2c/bpf/extractor_schema.h"

#include "absl/strings/str_cat.h"
#include "o2c/bpf/features.h"

namespace o2c::bpf {

const ml::FeatureSchema& ExtractorFeatureSchema() {
  static const ml::FeatureSchema* schema = [] {
    const std::map<int64_t, std::string> classes = {
        {O2C_WORD_NULL, "NULL"},
        {O2C_WORD_SMALL, "SMALL"},
        {O2C_WORD_USER, "USER"},
        {O2C_WORD_SELF, "SELF"},
        {O2C_WORD_COMPARTMENT, "COMPARTMENT_CODE"},
        {O2C_WORD_KERNEL_TEXT, "KERNEL_TEXT"},
        {O2C_WORD_KERNEL, "KERNEL_ADDRESS"},
        {O2C_WORD_OTHER, "OTHER"},
    };
    const char* class_names[O2C_WORD_CLASSES] = {"null",        "small",       "user",
                                                 "self",        "compartment", "kernel_text",
                                                 "kernel",      "other"};
    auto* s = new ml::FeatureSchema;
    s->features.resize(O2C_F_COUNT);
    s->extractor_version = O2C_FEATURES_VERSION;
    s->features[O2C_F_SIZE] = {"size", "object size of the slab cache holding it, -1 in no slab", {}};
    s->features[O2C_F_CACHE_KIND] = {"cache_kind",
                                     "what kind of slab cache holds the object",
                                     {{O2C_CACHE_NONE, "NO_SLAB"},
                                      {O2C_CACHE_DEDICATED, "DEDICATED"},
                                      {O2C_CACHE_KMALLOC, "KMALLOC"}}};
    s->features[O2C_F_ALIGN] = {"align", "trailing zero bits of the object's address, at most 12", {}};
    for (int c = 0; c < O2C_WORD_CLASSES; ++c) {
      s->features[O2C_F_NR_NULL + c] = {
          absl::StrCat("nr_", class_names[c]),
          absl::StrCat("how many of the first ", O2C_FEATURE_WORDS, " words are ",
                       classes.at(c)),
          {}};
    }
    for (int w = 0; w < O2C_FEATURE_WORDS; ++w) {
      s->features[O2C_F_WORD0 + w] = {absl::StrCat("word", w, "_class"),
                                      absl::StrCat("what word ", w, " of the object holds"),
                                      classes};
    }
    return s;
  }();
  return *schema;
}

}  // namespace o2c::bpf
