// Looking things up by Keras-style names: snake_case, camelCase and short aliases spell one entry.

/** Lowercase without underscores, so Keras snake_case and TF.js camelCase spell one key. */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

/** CamelCase → snake_case as Keras's to_snake_case: Conv2D → conv2d, MaxPooling2D → max_pooling2d. */
export function snakeCase(name: string): string {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** snake_case → camelCase, for listing the accepted spellings. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** A lookup of canonical snake_case names by every accepted spelling (snake, camel, aliases; any case). */
export class NameTable<T> {
  private readonly byKey = new Map<string, { name: string; value: T }>();
  readonly spellings: string[] = [];

  constructor(entries: Record<string, { aliases?: string[]; value: T }>) {
    for (const [name, { aliases = [], value }] of Object.entries(entries)) {
      for (const spelling of [name, camelCase(name), ...aliases]) {
        this.byKey.set(nameKey(spelling), { name, value });
        if (!this.spellings.includes(spelling)) this.spellings.push(spelling);
      }
    }
  }

  get(identifier: string): { name: string; value: T } | undefined {
    return this.byKey.get(nameKey(identifier));
  }

  /** The canonical name of a value in the table (by identity), else undefined. */
  nameOf(value: T): string | undefined {
    for (const entry of this.byKey.values()) if (entry.value === value) return entry.name;
    return undefined;
  }
}
