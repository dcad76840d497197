// SPDX-License-Identifier: GPL-2.0-or-later
// The exit statuses every program of the project uses (README "Exit status").
// One scheme: 0 ok, 1 failures or findings, 2 usage or I/O error; 3 only
// where the README documents it (vsm-conform: nothing failed, but a test was
// inconclusive or in error, or nothing was applicable).
#pragma once

namespace vsm::cli {

enum ExitStatus : int {
  kExitOk = 0,         // what was asked was done, nothing found
  kExitFindings = 1,   // a test failed, a capture has findings, a scenario file has mistakes
  kExitUsage = 2,      // bad invocation: unknown option, bad value, missing argument
  kExitIo = 2,         // an input could not be read, an output could not be written, nothing recognised
  kExitUndecided = 3,  // vsm-conform only: no failure, but inconclusive or error verdicts, or nothing applicable
};

}  // namespace vsm::cli
