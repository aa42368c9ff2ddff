// One tensor's share of a grouped optimizer step (spliced into shaders/optim/update.wgsl once per
// tensor, its arrays renamed to that tensor's bindings): the gradient part (accumulation, clipping)
// defines `g` from grad[i], then the decoupled weight decay p ← p − p·decay (decay =
// learningRate·weightDecay), then the optimizer's own rule. param, grad and every slot are flat
// arrays of one length, read four elements per invocation (vec4: on CPU adapters that doubles the
// throughput of scalar loads); pooled buffers are multiples of 16 bytes, so the last vec4 may run
// into the tensor's own padding, never into another tensor.
  if (index < params.{{END}}) {
    let i = index{{MINUS_START}};
{{GRADIENT}}
{{CONSTANT_LETS}}
    var p = param[i];
    p -= p * params.decay;
{{BODY}}
    param[i] = p;
    return;
  }
