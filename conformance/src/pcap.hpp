// SPDX-License-Identifier: GPL-2.0-or-later
// The --pcap and --pcap-dir evidence captures (pcapng through libwiretap's dump API).
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace vsm::conform {

bool pcap_available();
// Writes every message of the given results, in order, as TCP or SCTP (sctp) to `path` (the caller's temporary
// file: Outputs::write renames it); false with `error` set on failure. --pcap passes every result, --pcap-dir
// one test's.
bool write_pcap(const std::string& path, const std::vector<const Result*>& results, bool sctp, std::string& error);

}  // namespace vsm::conform
