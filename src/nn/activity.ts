// What a model is running right now, so that a second fit, or a dispose mid-fit, is refused
// instead of interleaving with the first at its awaits and corrupting its weights.
import { DisposedTensorError, ModelBusyError } from '../errors';

/** The calls that hold a model across awaits. */
export type ModelCall = 'fit' | 'evaluate' | 'trainOnBatch';

/**
 * fit and trainOnBatch change the weights, so one of them at a time; evaluate and predict only
 * read them and may run beside a fit (from its callbacks, say): every training step is queued in
 * one synchronous stretch, so a reader sees the weights between two steps, never half of one.
 */
export class ModelActivity {
  private readonly running: ModelCall[] = [];
  private disposed = false;

  constructor(private readonly modelName: string) {}

  /** Marks `call` as running and returns the function that ends it; throws if it may not start. */
  begin(call: ModelCall): () => void {
    this.assertUsable(call);
    if (call !== 'evaluate') this.assertNotTraining(call);
    this.running.push(call);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running.splice(this.running.indexOf(call), 1);
    };
  }

  /** Throws unless the model's weights may change now (no fit or trainOnBatch in progress). */
  assertNotTraining(op: string): void {
    const training = this.running.find((call) => call !== 'evaluate');
    if (training) {
      throw new ModelBusyError(
        `${op}: model '${this.modelName}' is running ${training}; await it first (a callback can set model.stopTraining = true to end a fit early)`,
      );
    }
  }

  assertUsable(op: string): void {
    if (this.disposed) throw new DisposedTensorError(`${op}: model '${this.modelName}' was disposed; its weights are gone`);
  }

  /** Refuses while any call holds the model, since each would go on with released weights. */
  markDisposed(): void {
    if (this.running.length > 0) {
      throw new ModelBusyError(`dispose: model '${this.modelName}' is running ${this.running.join(', ')}; dispose it after that resolves`);
    }
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
