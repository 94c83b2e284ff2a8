// Shared by the timeline and export tests: a StudioTest that imports single files and hands out
// the project for the timeline store. Test code only; test thread.
#pragma once

#include "projects/timeline-store.h"
#include "studio-fixture.h"

namespace atelier::test {

class TimelineFixture : public StudioTest {
protected:
    projects::Project& p() { return studio().project(); }
    // Imports one file and returns its asset uuid (empty, with a test failure, if it was not added).
    std::string add_asset(const fs::path& file) {
        auto run = import({file});
        EXPECT_EQ(run.report.added.size(), 1u) << file;
        return run.report.added.empty() ? std::string() : run.report.added[0].asset.uuid;
    }
};

}  // namespace atelier::test
