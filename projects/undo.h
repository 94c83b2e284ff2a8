// Undo/redo as a stack of commands (STYLE §7), with no Qt. Commands refer to objects by UUID,
// never by pointer or row. Each apply/revert runs inside one savepoint, so the database and the
// history never diverge: a command whose apply fails leaves the file unchanged and is not pushed.
// Thread-safety: an UndoStack belongs to one thread (the GUI thread, or the CLI's main thread).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "projects/project.h"

namespace atelier::projects {

class Command {
public:
    virtual ~Command() = default;
    virtual Status apply(Project& project) = 0;   // do, or redo
    virtual Status revert(Project& project) = 0;  // undo
    virtual std::string label() const = 0;        // "Import 3 files"
    // Commands with the same non-negative merge_id may fold a following command into themselves
    // (e.g. repeated renames of one asset). Return true if `next` was absorbed.
    virtual int merge_id() const { return -1; }
    virtual bool merge_with(const Command& /*next*/) { return false; }
};

class UndoStack {
public:
    explicit UndoStack(Project& project, size_t limit = 200);

    // Applies the command and pushes it; clears the redo side. On failure nothing is pushed.
    Status push(std::unique_ptr<Command> cmd);
    Status undo();
    Status redo();
    bool can_undo() const;
    bool can_redo() const;
    std::string undo_label() const;
    std::string redo_label() const;
    size_t size() const { return done_.size(); }
    void clear();

    // Groups every command pushed between begin and end into one undo step (a gesture). Each
    // command still commits when pushed; undo reverts the whole group in one savepoint. Calls
    // nest; only the outermost end closes the group. undo()/redo() fail while one is open.
    void begin_interaction(std::string label);
    void end_interaction();
    bool in_interaction() const { return interaction_depth_ > 0; }

    // Called after every change of the stack (push/undo/redo/clear), on the owning thread.
    void set_on_changed(std::function<void()> fn) { on_changed_ = std::move(fn); }

private:
    Project& project_;
    size_t limit_;
    std::vector<std::unique_ptr<Command>> done_, undone_;
    std::function<void()> on_changed_;
    int interaction_depth_ = 0;
    std::string interaction_label_;
    std::vector<std::unique_ptr<Command>> interaction_;
};

// ---- commands over assets ----------------------------------------------------------------

// Adds assets (with their derived data). Revert removes the rows; media files stay on disk
// (content-addressed, shared by duplicates), so redo is exact.
class AddAssetsCommand : public Command {
public:
    struct Item {
        Asset asset;
        AssetDerived derived;
    };
    explicit AddAssetsCommand(std::vector<Item> items, std::string label = {});
    Status apply(Project& project) override;
    Status revert(Project& project) override;
    std::string label() const override;
    const std::vector<Item>& items() const { return items_; }

private:
    std::vector<Item> items_;
    std::string label_;
};

// Removes assets; revert restores rows and derived data exactly.
class RemoveAssetsCommand : public Command {
public:
    explicit RemoveAssetsCommand(std::vector<std::string> uuids);
    Status apply(Project& project) override;
    Status revert(Project& project) override;
    std::string label() const override;

private:
    std::vector<std::string> uuids_;
    std::vector<AddAssetsCommand::Item> saved_;
    std::vector<AssetLinks> links_;  // parallel to saved_: generation outputs, transcripts
};

class RenameAssetCommand : public Command {
public:
    RenameAssetCommand(std::string uuid, std::string new_name);
    Status apply(Project& project) override;
    Status revert(Project& project) override;
    std::string label() const override;
    int merge_id() const override { return 1; }
    bool merge_with(const Command& next) override;

private:
    std::string uuid_, new_name_, old_name_;
    bool have_old_ = false;
};

}  // namespace atelier::projects
