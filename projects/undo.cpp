// Undo/redo stack and the asset commands (STYLE §7). Every apply/revert runs inside one
// savepoint, so a failing command leaves the database exactly as it was and the stack unchanged.
// Repeated commands with equal merge_id fold into one step; gestures group into one step.
// Thread-safety: an UndoStack and its commands belong to one thread (see undo.h).
#include "projects/undo.h"

#include <chrono>
#include <utility>

#include "core/log.h"

namespace atelier::projects {

namespace {

// Runs fn() inside one savepoint of `project`; rolls back unless fn succeeds.
template <class F>
Status in_savepoint(Project& project, const std::string& label, F&& fn) {
    ATELIER_TRY_ASSIGN(Transaction tx, project.begin(label.c_str()));
    ATELIER_TRY(fn());
    return tx.commit();
}

Error stack_error(const std::string& what) { return make_error(ErrorCode::InvalidArgument, what); }

using CommandList = std::vector<std::unique_ptr<Command>>;

// Undo and redo: runs `step` on the top of `from` in one savepoint; on success moves it to `to`.
template <class F>
Status move_top(Project& project, CommandList& from, CommandList& to, const char* verb, F&& step,
                const std::function<void()>& on_changed) {
    if (from.empty()) return stack_error(std::string(verb) + ": nothing to " + verb);
    Command& cmd = *from.back();
    ATELIER_TRY(in_savepoint(project, std::string(verb) + " " + cmd.label(), [&] { return step(cmd); }));
    to.push_back(std::move(from.back()));
    from.pop_back();
    if (on_changed) on_changed();
    return ok_status();
}

// A gesture: the commands pushed between begin_interaction and end_interaction, as one step.
class GroupCommand : public Command {
public:
    GroupCommand(std::string label, std::vector<std::unique_ptr<Command>> commands)
        : label_(std::move(label)), commands_(std::move(commands)) {}

    Status apply(Project& project) override {
        for (auto& c : commands_) ATELIER_TRY(c->apply(project));
        return ok_status();
    }
    Status revert(Project& project) override {
        for (auto it = commands_.rbegin(); it != commands_.rend(); ++it) ATELIER_TRY((*it)->revert(project));
        return ok_status();
    }
    std::string label() const override { return label_.empty() && !commands_.empty() ? commands_.front()->label() : label_; }

private:
    std::string label_;
    std::vector<std::unique_ptr<Command>> commands_;
};

}  // namespace

// ---- UndoStack ---------------------------------------------------------------------------------

UndoStack::UndoStack(Project& project, size_t limit) : project_(project), limit_(limit == 0 ? 1 : limit) {}

Status UndoStack::push(std::unique_ptr<Command> cmd) {
    if (!cmd) return stack_error("push: no command");
    ATELIER_TRY(in_savepoint(project_, cmd->label(), [&] { return cmd->apply(project_); }));
    // A new command after an undo starts a new branch: it never folds into an older step.
    bool may_merge = undone_.empty();
    undone_.clear();
    auto& target = interaction_depth_ > 0 ? interaction_ : done_;
    bool merged = may_merge && !target.empty() && cmd->merge_id() >= 0 &&
                  target.back()->merge_id() == cmd->merge_id() && target.back()->merge_with(*cmd);
    if (!merged) target.push_back(std::move(cmd));
    while (done_.size() > limit_) done_.erase(done_.begin());
    if (on_changed_) on_changed_();
    return ok_status();
}

Status UndoStack::undo() {
    if (interaction_depth_ > 0) return stack_error("undo: a gesture is still in progress");
    return move_top(project_, done_, undone_, "undo", [&](Command& c) { return c.revert(project_); }, on_changed_);
}

Status UndoStack::redo() {
    if (interaction_depth_ > 0) return stack_error("redo: a gesture is still in progress");
    return move_top(project_, undone_, done_, "redo", [&](Command& c) { return c.apply(project_); }, on_changed_);
}

bool UndoStack::can_undo() const { return interaction_depth_ == 0 && !done_.empty(); }
bool UndoStack::can_redo() const { return interaction_depth_ == 0 && !undone_.empty(); }
std::string UndoStack::undo_label() const { return done_.empty() ? std::string() : done_.back()->label(); }
std::string UndoStack::redo_label() const { return undone_.empty() ? std::string() : undone_.back()->label(); }

void UndoStack::clear() {
    done_.clear();
    undone_.clear();
    interaction_.clear();
    interaction_depth_ = 0;
    if (on_changed_) on_changed_();
}

void UndoStack::begin_interaction(std::string label) {
    if (interaction_depth_++ == 0) {
        interaction_label_ = std::move(label);
        interaction_.clear();
    }
}

void UndoStack::end_interaction() {
    if (!ATELIER_ALWAYS(interaction_depth_ > 0)) return;
    if (--interaction_depth_ > 0 || interaction_.empty()) return;
    done_.push_back(std::make_unique<GroupCommand>(std::move(interaction_label_), std::move(interaction_)));
    interaction_.clear();
    while (done_.size() > limit_) done_.erase(done_.begin());
    if (on_changed_) on_changed_();
}

// ---- AddAssetsCommand ----------------------------------------------------------------------------

AddAssetsCommand::AddAssetsCommand(std::vector<Item> items, std::string label)
    : items_(std::move(items)), label_(std::move(label)) {}

Status AddAssetsCommand::apply(Project& project) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    for (Item& item : items_) {
        // Fixed at the first apply, so that redo re-creates exactly the same rows.
        if (item.asset.created_at_ms == 0) item.asset.created_at_ms = now_ms;
        ATELIER_TRY(project.insert_asset(item.asset, item.derived));
    }
    return ok_status();
}

Status AddAssetsCommand::revert(Project& project) {
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) ATELIER_TRY(project.remove_asset(it->asset.uuid));
    return ok_status();
}

std::string AddAssetsCommand::label() const {
    if (!label_.empty()) return label_;
    if (items_.size() == 1) return "Import " + items_.front().asset.name;
    return "Import " + std::to_string(items_.size()) + " files";
}

// ---- RemoveAssetsCommand -------------------------------------------------------------------------

RemoveAssetsCommand::RemoveAssetsCommand(std::vector<std::string> uuids) : uuids_(std::move(uuids)) {}

Status RemoveAssetsCommand::apply(Project& project) {
    saved_.clear();
    links_.clear();
    for (const std::string& uuid : uuids_) {
        ATELIER_TRY_ASSIGN(Asset asset, project.get_asset(uuid));
        ATELIER_TRY_ASSIGN(AssetDerived derived, project.get_derived(uuid));
        ATELIER_TRY_ASSIGN(AssetLinks links, project.get_asset_links(uuid));
        ATELIER_TRY(project.remove_asset(uuid));
        saved_.push_back({std::move(asset), std::move(derived)});
        links_.push_back(std::move(links));
    }
    return ok_status();
}

Status RemoveAssetsCommand::revert(Project& project) {
    // Forward order: assets with equal created_at_ms list in insertion order, as before.
    for (size_t i = 0; i < saved_.size(); ++i) {
        ATELIER_TRY(project.insert_asset(saved_[i].asset, saved_[i].derived));
        ATELIER_TRY(project.restore_asset_links(links_[i]));
    }
    return ok_status();
}

std::string RemoveAssetsCommand::label() const {
    if (saved_.size() == 1) return "Remove " + saved_.front().asset.name;
    return uuids_.size() == 1 ? std::string("Remove asset") : "Remove " + std::to_string(uuids_.size()) + " assets";
}

// ---- RenameAssetCommand --------------------------------------------------------------------------

RenameAssetCommand::RenameAssetCommand(std::string uuid, std::string new_name)
    : uuid_(std::move(uuid)), new_name_(std::move(new_name)) {}

Status RenameAssetCommand::apply(Project& project) {
    if (!have_old_) {
        ATELIER_TRY_ASSIGN(Asset asset, project.get_asset(uuid_));
        old_name_ = asset.name;
        have_old_ = true;
    }
    return project.rename_asset(uuid_, new_name_);
}

Status RenameAssetCommand::revert(Project& project) { return project.rename_asset(uuid_, old_name_); }

std::string RenameAssetCommand::label() const { return "Rename to " + new_name_; }

bool RenameAssetCommand::merge_with(const Command& next) {
    const auto* other = dynamic_cast<const RenameAssetCommand*>(&next);
    if (other == nullptr || other->uuid_ != uuid_) return false;
    new_name_ = other->new_name_;  // keep our old_name_: one undo returns to the first name
    return true;
}

}  // namespace atelier::projects
