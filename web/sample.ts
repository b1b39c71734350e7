// The MNIST sample shipped with simdnet (data/mnist-sample/: 5,000 training and 1,000 test digits,
// MNIST by LeCun, Cortes and Burges, CC BY-SA 3.0) as static assets of the page. Vite turns each
// new URL(…, import.meta.url) into a file beside the bundle, referenced relative to it, so the built
// page finds the sample from any folder. The worker gunzips it like picked .gz files.
const SAMPLE_FILES: { name: string; url: URL }[] = [
  { name: "train-images-idx3-ubyte.gz", url: new URL("../data/mnist-sample/train-images-idx3-ubyte.gz", import.meta.url) },
  { name: "train-labels-idx1-ubyte.gz", url: new URL("../data/mnist-sample/train-labels-idx1-ubyte.gz", import.meta.url) },
  { name: "t10k-images-idx3-ubyte.gz", url: new URL("../data/mnist-sample/t10k-images-idx3-ubyte.gz", import.meta.url) },
  { name: "t10k-labels-idx1-ubyte.gz", url: new URL("../data/mnist-sample/t10k-labels-idx1-ubyte.gz", import.meta.url) },
];

/** The four sample files, fetched, as Files named like the MNIST originals (the worker sorts them by name). */
export function fetchSample(): Promise<File[]> {
  return Promise.all(
    SAMPLE_FILES.map(async ({ name, url }) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not fetch the MNIST sample's ${name}: HTTP ${res.status}`);
      return new File([await res.arrayBuffer()], name);
    }),
  );
}
