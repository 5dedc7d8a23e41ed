// The part of jsfive (a pure-JavaScript HDF5 reader, no types of its own) that hdf5-read.ts uses.
declare module 'jsfive' {
  export class Group {
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    get(path: string): Group | Dataset | null;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
  export class Dataset {
    /** numpy-style type string: '<f4', '<f8', '<e', '<i4', ... */
    readonly dtype: unknown;
    readonly shape: number[];
    readonly value: unknown;
    readonly attrs: Record<string, unknown>;
  }
}
