// site_probe_soak [CYCLES]: the site-probe soak (site_probe_soak.h).
#include "absl/strings/numbers.h"
#include "bench/site_probe_soak.h"

int main(int argc, char** argv) {
  int cycles = 100;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &cycles)) return 2;
  return o2c::bench::RunSiteProbeSoak(cycles);
}
