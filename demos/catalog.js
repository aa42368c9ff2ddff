// Every demo, in the order demos/index.html lists them. Adding a demo is one entry here plus its
// folder demos/<name>/ with an index.html; `npm run demo -- <name>` reads this list too.
export const demos = [
  {
    name: 'xor',
    title: 'XOR',
    description: 'A 2-2-1 sigmoid network trained live twice: exactly as the reference text writes it, and with standardized inputs and Adam at 0.05.',
  },
];
