// DeepSeek V4 tensor lookup by canonical HF name (weight-names.cpp): folds the HF aliases and
// translates GGUF deepseek4 names, and spells names and shapes back the way the file does for
// error messages. Thread-safety: immutable after build().
#pragma once

#include <initializer_list>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "inference/model.h"

namespace atelier::infer::v4 {

class TensorIndex {
public:
    // Fails (ModelFormat) when two tensors of the model map to the same canonical name.
    static Result<TensorIndex> build(const Model& model);
    const Tensor* find(const std::string& canonical) const;  // nullptr when absent
    bool gguf() const { return gguf_; }
    // The name the file uses (or would use) for a canonical name.
    std::string file_name(const std::string& canonical) const;
    // A shape given innermost first (engine order), written in the file's own order.
    std::string file_shape(std::initializer_list<int64_t> ne) const;
    std::string file_shape(const Tensor& t) const;

private:
    bool gguf_ = false;
    std::unordered_map<std::string, const Tensor*> map_;
};

}  // namespace atelier::infer::v4
