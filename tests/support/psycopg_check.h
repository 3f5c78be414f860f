// tests/integration/psycopg_check.py, the psycopg 3 / psycopg2 client probe, and the answers every
// target (PostgreSQL itself, pgveil in front of it) must give it.
#pragma once

#include <string>

#include "support/process.h"

namespace testsupport {

// Runs the probe with Debian's python3 (the one that sees python3-psycopg) against `conninfo`.
RunResult run_psycopg_check(const std::string& driver, const std::string& conninfo);

// CHECKs the fields of the probe's JSON output that do not depend on the target's data
// (parameters, errors and recovery, COPY, cursors; prepared, binary and pipeline for psycopg 3).
void check_psycopg_answers(const std::string& json_output, const std::string& driver);

}  // namespace testsupport
