#include "o2c/victims/victim_miss_rate.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "o2c/internal/status_macros.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::victims {
namespace {

constexpr double kZ95 = 1.959963984540054;

void Finish(MissRate& m) { m.interval = WilsonInterval(m.called_own, m.objects); }

std::string Listed(const std::vector<std::string>& names) {
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// "user_key_payload (0.8900), timerfd_ctx (1.0000)": the types with misses.
std::string MissedTypes(const MissRates& r) {
  std::vector<std::string> missed;
  for (const MissRate& m : r.types) {
    if (m.called_own > 0) missed.push_back(absl::StrFormat("%s (%.4f)", m.type, m.rate()));
  }
  return Listed(missed);
}

std::string HarvestLine(const MissRates& r) {
  return absl::StrFormat(
      "harvest: %.1f s, %d victims tracked, %d freed and scored, %d not seen freed (alive, or "
      "freed in a bulk free the tracepoints do not report), %d not tracked (map full), %d lost "
      "(ring full)",
      r.harvest_seconds, r.tracked, r.all.objects, r.not_seen_freed, r.map_full, r.samples_lost);
}

}  // namespace

Interval WilsonInterval(int64_t hits, int64_t total) {
  if (total <= 0) return {};
  const double n = static_cast<double>(total);
  const double p = static_cast<double>(hits) / n;
  const double z2 = kZ95 * kZ95;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ95 * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

absl::StatusOr<MissRates> ScoreVictims(const AuditionModel& model, const VictimHarvest& harvest) {
  if (absl::Status s = ml::CompareSchemas(model.schema(), harvest.dataset.schema); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("victims: the model reads another feature schema than the extractor's: ",
                     s.message()));
  }
  const std::vector<std::string>& names = model.class_names();
  if (std::find(names.begin(), names.end(), "own") == names.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "victims: the model has no class named 'own' (classes: ", absl::StrJoin(names, ","), ")"));
  }
  MissRates rates;
  rates.model_kernel = model.schema().kernel_release;
  rates.harvest_kernel = harvest.dataset.schema.kernel_release;
  rates.all.type = "all victims";
  rates.harvest_seconds = harvest.seconds;
  rates.tracked = harvest.tracked;
  rates.not_seen_freed = harvest.not_seen_freed;
  rates.map_full = harvest.map_full;
  rates.samples_lost = harvest.samples_lost;
  std::vector<MissRate> per_type(harvest.types.size());
  for (int r = 0; r < harvest.dataset.num_rows(); ++r) {
    const auto row = harvest.dataset.features.row(r);
    const std::vector<int64_t> x(row.begin(), row.end());
    O2C_ASSIGN_OR_RETURN(AuditionVerdict verdict, model.Predict(x));
    const bool miss = verdict.class_name == "own";
    MissRate& m = per_type[harvest.type_of_row[r]];
    ++m.objects;
    ++rates.all.objects;
    m.called_own += miss;
    rates.all.called_own += miss;
  }
  for (size_t i = 0; i < harvest.types.size(); ++i) {
    const HarvestedType& t = harvest.types[i];
    const std::string& name = t.victim.type->name;
    if (t.compartment_own) {
      rates.compartment_own.push_back(name);
    } else if (!t.victim.present()) {
      rates.absent.push_back(name);
    } else if (per_type[i].objects == 0) {
      rates.not_made.push_back(name);
    } else {
      per_type[i].type = name;
      Finish(per_type[i]);
      rates.types.push_back(per_type[i]);
    }
  }
  Finish(rates.all);
  return rates;
}

std::string FormatMissRates(const MissRates& rates) {
  std::string out = absl::StrCat(HarvestLine(rates), "\n");
  absl::StrAppendFormat(&out, "%-18s %8s %10s %9s  %s\n", "victim", "objects", "called own",
                                    "miss rate", "95% interval");
  for (const MissRate& m : rates.types) {
    absl::StrAppendFormat(&out, "%-18s %8d %10d %9.4f  [%.4f, %.4f]\n", m.type, m.objects,
                          m.called_own, m.rate(), m.interval.low, m.interval.high);
  }
  const MissRate& a = rates.all;
  absl::StrAppendFormat(&out, "%-18s %8d %10d %9.4f  [%.4f, %.4f]\n", a.type, a.objects,
                        a.called_own, a.rate(), a.interval.low, a.interval.high);
  absl::StrAppend(&out, "types the model lets through: ", MissedTypes(rates), "\n",
                  "absent from this kernel: ", Listed(rates.absent), "\n",
                  "not made by the workload: ", Listed(rates.not_made), "\n",
                  "the compartment's own objects here (not victims): ",
                  Listed(rates.compartment_own), "\n");
  if (rates.model_kernel != rates.harvest_kernel) {
    absl::StrAppend(&out, "the model was prepared on kernel '", rates.model_kernel,
                    "', the victims come from '", rates.harvest_kernel,
                    "': the enforcer would not act on its verdicts here\n");
  }
  return out;
}

std::string MissRatesMarkdown(const MissRates& rates) {
  std::string out = absl::StrCat(
      "## Victims\n\n",
      "The objects real exploits make a buggy component free (victim_types.h), harvested "
      "from this kernel. A miss is a victim the model calls the compartment's own: an exploit "
      "freeing it would go unchallenged. ", HarvestLine(rates), ".\n\n",
      "| victim | objects | called own | miss rate | 95% interval |\n",
      "|---|---:|---:|---:|---|\n");
  auto row = [&out](const MissRate& m, const char* emphasis) {
    absl::StrAppendFormat(&out, "| %s%s%s | %d | %d | %.4f | [%.4f, %.4f] |\n", emphasis, m.type,
                          emphasis, m.objects, m.called_own, m.rate(), m.interval.low,
                          m.interval.high);
  };
  for (const MissRate& m : rates.types) row(m, "");
  row(rates.all, "**");
  absl::StrAppend(&out, "\nTypes the model lets through: ", MissedTypes(rates),
                  ". Absent from this kernel: ", Listed(rates.absent),
                  ". Not made by the workload: ", Listed(rates.not_made),
                  ". The compartment's own objects here (not victims): ",
                  Listed(rates.compartment_own), ".\n");
  return out;
}

}  // namespace o2c::victims
