// make_victims [ROUNDS]: makes and frees every victim type (victim_workload.h).
#include <cstdlib>

#include "o2c/victims/victim_workload.h"

int main(int argc, char** argv) {
  return o2c::victims::MakeVictims(argc > 1 ? std::atoi(argv[1]) : 100);
}
