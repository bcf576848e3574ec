/**
 * CART tree growth for binary classification (Gini impurity), exact splits.
 *
 * Each column is sorted once per forest (prepareTrainingData). To evaluate a feature at a node,
 * the node's rows are put in that feature's order by whichever is cheaper: filtering the
 * column's global order by node membership (cost n, used for big nodes) or sorting the node's
 * rows by precomputed rank (cost ~ m log m, used for small ones). Both yield the same order
 * (ties by row index), so the tree does not depend on which was used. Only the mtry sampled
 * features are ever ordered; nothing is partitioned for the features a node does not look at,
 * which is what made per-node partitioning of all columns the bottleneck before.
 */
import type { ForestHyperparameters } from './hyperparameters.ts';
import { resolveMaxFeatures } from './hyperparameters.ts';
import { Rng } from './prng.ts';

/** Training data in the layout tree growth needs; built once and shared by all trees. */
export interface TrainingData {
  n: number;
  d: number;
  y: Uint8Array;
  /** Column-major copy of X with missing values (NaN) replaced by `imputation`. */
  xc: Float64Array;
  /** d blocks of n row indices; block f lists rows by increasing value of feature f. */
  order: Int32Array;
  /** Per-feature value used for a missing value: the training median of that column. */
  imputation: Float64Array;
  /** d blocks of n ranks: rank of each row's value among the column's distinct values. */
  rank: Int32Array;
  /** Resolved class weights [benign, malignant]. */
  classWeight: Float64Array;
}

/** One grown tree, pre-order: a split's left child is the next node, `right` names the other. */
export interface TreeArrays {
  /** Split feature, or -1 for a leaf. */
  feature: Int32Array;
  /** Rows with value <= threshold go left. */
  threshold: Float64Array;
  right: Int32Array;
  /** P(malignant) among the node's in-bag, class-weighted rows. */
  value: Float64Array;
  /** Weighted Gini decrease per feature, normalised to sum 1 (all 0 for a single leaf). */
  importance: Float64Array;
}

/** Column medians, ignoring NaN; 0 for a column with no values at all. */
function columnMedian(sortedWithNaNLast: Float64Array): number {
  let m = sortedWithNaNLast.length;
  while (m > 0 && Number.isNaN(sortedWithNaNLast[m - 1])) m--;
  if (m === 0) return 0;
  const h = m >> 1;
  return m % 2 === 1 ? sortedWithNaNLast[h] : (sortedWithNaNLast[h - 1] + sortedWithNaNLast[h]) / 2;
}

/**
 * Prepares row-major X (n x d) for growth: imputes NaN with the column median, stores columns
 * contiguously and computes each column's stable sort order (native sort of the values, then a
 * counting sort by rank, which is much faster than sorting indices with a comparator).
 */
export function prepareTrainingData(
  X: Float64Array,
  y: Uint8Array,
  d: number,
  hp: ForestHyperparameters,
): TrainingData {
  const n = y.length;
  // Node sort keys pack rank and row into one double (see TreeBuilder.order).
  if (n > 2 ** 26) throw new RangeError(`at most ${2 ** 26} training rows, got ${n}`);
  const xc = new Float64Array(n * d);
  const order = new Int32Array(n * d);
  const imputation = new Float64Array(d);
  const col = new Float64Array(n);
  const rankAll = new Int32Array(n * d);
  const rank = new Int32Array(n);
  const bucket = new Int32Array(n + 1);
  for (let f = 0; f < d; f++) {
    let missing = false;
    for (let i = 0; i < n; i++) {
      const v = X[i * d + f];
      if (v !== v) missing = true;
      else if (v === Infinity || v === -Infinity) {
        throw new RangeError(
          `feature ${f} of row ${i} is infinite; only NaN marks a missing value`,
        );
      }
      col[i] = v;
    }
    let sorted = col.slice().sort();
    imputation[f] = columnMedian(sorted);
    if (missing) {
      for (let i = 0; i < n; i++) if (col[i] !== col[i]) col[i] = imputation[f];
      sorted = col.slice().sort();
    }
    xc.set(col, f * n);
    // Distinct values in place, then each row's rank by binary search.
    let u = 0;
    for (let k = 0; k < n; k++) if (k === 0 || sorted[k] !== sorted[u - 1]) sorted[u++] = sorted[k];
    bucket.fill(0, 0, u + 1);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      let lo = 0;
      let hi = u - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      rank[i] = lo;
      bucket[lo + 1]++;
    }
    for (let r = 1; r <= u; r++) bucket[r] += bucket[r - 1];
    const base = f * n;
    for (let i = 0; i < n; i++) order[base + bucket[rank[i]]++] = i;
    rankAll.set(rank, base);
  }
  const classWeight = new Float64Array([1, 1]);
  if (hp.classWeight === 'balanced') {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i];
    // scikit-learn's 'balanced': n / (classes * count); a missing class keeps weight 1.
    if (pos > 0 && pos < n) {
      classWeight[0] = n / (2 * (n - pos));
      classWeight[1] = n / (2 * pos);
    }
  } else if (hp.classWeight) {
    classWeight[0] = hp.classWeight.benign;
    classWeight[1] = hp.classWeight.malignant;
  }
  return { n, d, y, xc, order, rank: rankAll, imputation, classWeight };
}

/** Number of bootstrap draws per tree. */
export function bootstrapDraws(n: number, hp: ForestHyperparameters): number {
  return hp.maxSamples === null ? n : Math.max(1, Math.round(hp.maxSamples * n));
}

/**
 * In-bag counts of a tree: the first draws of its generator, so OOB and permutation importance
 * can replay them from the tree seed instead of storing n counts per tree.
 */
export function drawBootstrap(
  rng: Rng,
  n: number,
  hp: ForestHyperparameters,
  counts: Int32Array,
): void {
  if (!hp.bootstrap) {
    counts.fill(1, 0, n);
    return;
  }
  counts.fill(0, 0, n);
  const draws = bootstrapDraws(n, hp);
  for (let k = 0; k < draws; k++) counts[rng.nextInt(n)]++;
}

/** Replays tree `seed`'s bootstrap: how often each row was drawn (0 = out of bag). */
export function bootstrapCounts(seed: number, n: number, hp: ForestHyperparameters): Int32Array {
  const counts = new Int32Array(n);
  drawBootstrap(new Rng(seed), n, hp, counts);
  return counts;
}

/**
 * Best Gini split over rows ord[0, cnt) sorted by the feature whose values start at xc[col]:
 * returns the first right-hand position, or 0 when no valid split exists, and writes
 * [score, threshold] into `out`. Score = (lp^2 + ln^2) / lw + (rp^2 + rn^2) / rw, larger is better.
 */
function bestSplit(
  ord: Int32Array,
  cnt: number,
  xc: Float64Array,
  col: number,
  w: Float64Array,
  wy: Float64Array,
  W: number,
  P: number,
  minLeaf: number,
  out: Float64Array,
): number {
  let i = ord[0];
  let v = xc[col + i];
  if (v === xc[col + ord[cnt - 1]]) return 0; // constant in this node
  let best = -Infinity;
  let bestPos = 0;
  let bestV = 0;
  let bestVn = 0;
  let lw = 0;
  let lp = 0;
  const stop = cnt - minLeaf;
  for (let k = 1; k <= stop; k++) {
    lw += w[i];
    lp += wy[i];
    const iNext = ord[k];
    const vn = xc[col + iNext];
    if (vn !== v && k >= minLeaf) {
      const ln = lw - lp;
      const rw = W - lw;
      const rp = P - lp;
      const rn = rw - rp;
      const score = (lp * lp + ln * ln) / lw + (rp * rp + rn * rn) / rw;
      if (score > best) {
        best = score;
        bestPos = k;
        bestV = v;
        bestVn = vn;
      }
    }
    i = iNext;
    v = vn;
  }
  if (bestPos === 0) return 0;
  let thr = (bestV + bestVn) / 2;
  // As scikit-learn: if the midpoint rounds up to the next value, split at the lower one.
  if (thr === bestVn || !Number.isFinite(thr)) thr = bestV;
  out[0] = best;
  out[1] = thr;
  return bestPos;
}

/**
 * Grows trees one after another over the same data, reusing its scratch buffers. The tree is
 * grown depth-first; a node is a range [start, end) of `rows`, and nodeStart[i] names the node
 * (by its start) that row i currently sits in, -1 when out of bag.
 */
export class TreeBuilder {
  private readonly counts: Int32Array;
  private readonly w: Float64Array;
  private readonly wy: Float64Array;
  private readonly rows: Int32Array;
  private readonly nodeStart: Int32Array;
  private cur: Int32Array;
  private best: Int32Array;
  private readonly keys: Float64Array;
  private readonly feats: Int32Array;
  private readonly split = new Float64Array(2);
  private readonly mtry: number;
  private readonly sortBelow: number;
  private readonly scale: number;
  private readonly nFeature: Int32Array;
  private readonly nThreshold: Float64Array;
  private readonly nRight: Int32Array;
  private readonly nValue: Float64Array;
  // DFS stack: start, end, depth, parent, isRight | wTotal, wPositive.
  private readonly sInt: Int32Array;
  private readonly sW: Float64Array;

  constructor(
    private readonly data: TrainingData,
    private readonly hp: ForestHyperparameters,
  ) {
    const { n, d } = data;
    this.counts = new Int32Array(n);
    this.w = new Float64Array(n);
    this.wy = new Float64Array(n);
    this.rows = new Int32Array(n);
    this.nodeStart = new Int32Array(n);
    this.cur = new Int32Array(n + 1);
    this.best = new Int32Array(n + 1);
    this.keys = new Float64Array(n);
    this.feats = new Int32Array(d);
    this.mtry = resolveMaxFeatures(hp.maxFeatures, d);
    // Sorting m rows costs about 2 * m * log2(m) filter steps (measured); filtering costs n.
    let s = 2;
    while (s < n && 2 * s * Math.log2(s) < n) s++;
    this.sortBelow = s;
    // Sort keys are rank * scale + row: exact in a double for n up to 2^26.
    this.scale = 2 ** Math.ceil(Math.log2(n + 1));
    const maxNodes = Math.max(1, 2 * n);
    this.nFeature = new Int32Array(maxNodes);
    this.nThreshold = new Float64Array(maxNodes);
    this.nRight = new Int32Array(maxNodes);
    this.nValue = new Float64Array(maxNodes);
    this.sInt = new Int32Array(5 * (n + 2));
    this.sW = new Float64Array(2 * (n + 2));
  }

  /** Rows of the node [start, end) sorted by feature f (ties by row index) into this.cur. */
  private order(f: number, start: number, end: number): void {
    const { n, order, rank } = this.data;
    const cur = this.cur;
    const cnt = end - start;
    if (cnt < this.sortBelow) {
      const { keys, rows, scale } = this;
      const base = f * n;
      for (let k = 0; k < cnt; k++) {
        const i = rows[start + k];
        keys[k] = rank[base + i] * scale + i;
      }
      if (cnt <= 32) {
        // Insertion sort: for a few dozen keys it beats the native sort's call overhead.
        for (let k = 1; k < cnt; k++) {
          const key = keys[k];
          let j = k - 1;
          while (j >= 0 && keys[j] > key) {
            keys[j + 1] = keys[j];
            j--;
          }
          keys[j + 1] = key;
        }
      } else keys.subarray(0, cnt).sort();
      const inv = 1 / scale;
      for (let k = 0; k < cnt; k++) {
        const key = keys[k];
        cur[k] = key - Math.floor(key * inv) * scale;
      }
    } else {
      // Branch-free filter: write every row, advance only for rows of this node.
      const nodeStart = this.nodeStart;
      const src = f * n;
      let j = 0;
      for (let k = 0; k < n; k++) {
        const i = order[src + k];
        cur[j] = i;
        const diff = nodeStart[i] ^ start; // 0 exactly for rows of this node
        j += 1 - ((diff | -diff) >>> 31);
      }
    }
  }

  build(seed: number): TreeArrays {
    const { n, d, y, xc, classWeight } = this.data;
    const { counts, w, wy, rows, nodeStart, feats, mtry, split } = this;
    const { nFeature, nThreshold, nRight, nValue, sInt, sW } = this;
    const minLeaf = this.hp.minSamplesLeaf;
    const minSplit = Math.max(this.hp.minSamplesSplit, 2 * minLeaf);
    const maxDepth = this.hp.maxDepth ?? 0x7fffffff;
    const rng = new Rng(seed);
    drawBootstrap(rng, n, this.hp, counts);

    let m = 0;
    let rootW = 0;
    let rootP = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      const wi = c * classWeight[y[i]];
      w[i] = wi;
      wy[i] = y[i] === 1 ? wi : 0;
      rootW += wi;
      rootP += wy[i];
      if (c > 0) {
        rows[m++] = i;
        nodeStart[i] = 0;
      } else nodeStart[i] = -1;
    }
    for (let f = 0; f < d; f++) feats[f] = f;
    const importance = new Float64Array(d);

    let nodes = 0;
    sInt[0] = 0;
    sInt[1] = m;
    sInt[2] = 0;
    sInt[3] = -1;
    sInt[4] = 0;
    sW[0] = rootW;
    sW[1] = rootP;
    let sp = 1;
    while (sp > 0) {
      sp--;
      const start = sInt[sp * 5];
      const end = sInt[sp * 5 + 1];
      const depth = sInt[sp * 5 + 2];
      const parent = sInt[sp * 5 + 3];
      const isRight = sInt[sp * 5 + 4];
      const W = sW[sp * 2];
      const P = sW[sp * 2 + 1];
      const id = nodes++;
      if (isRight === 1) nRight[parent] = id;
      nValue[id] = W > 0 ? P / W : 0;
      nFeature[id] = -1;
      nThreshold[id] = 0;
      nRight[id] = -1;
      const cnt = end - start;
      if (cnt < minSplit || depth >= maxDepth || P === 0 || P === W) continue;

      // Try mtry random features (without replacement); like scikit-learn, keep drawing past
      // mtry while no valid split has been found. The best feature's order is kept in `best`.
      let bestScore = -Infinity;
      let bestF = -1;
      let bestPos = 0;
      let bestThr = 0;
      for (let j = 0; j < d && (j < mtry || bestF < 0); j++) {
        const r = j + rng.nextInt(d - j);
        const f = feats[r];
        feats[r] = feats[j];
        feats[j] = f;
        this.order(f, start, end);
        const pos = bestSplit(this.cur, cnt, xc, f * n, w, wy, W, P, minLeaf, split);
        if (pos > 0 && split[0] > bestScore) {
          bestScore = split[0];
          bestF = f;
          bestPos = pos;
          bestThr = split[1];
          const t = this.cur;
          this.cur = this.best;
          this.best = t;
        }
      }
      if (bestF < 0) continue;

      // Children: the best order split at bestPos. Totals are summed, not subtracted, so a pure
      // child is seen as exactly pure.
      const ord = this.best;
      const mid = start + bestPos;
      let lw = 0;
      let lp = 0;
      let rw = 0;
      let rp = 0;
      for (let k = 0; k < bestPos; k++) {
        const i = ord[k];
        lw += w[i];
        lp += wy[i];
        rows[start + k] = i;
        nodeStart[i] = start;
      }
      for (let k = bestPos; k < cnt; k++) {
        const i = ord[k];
        rw += w[i];
        rp += wy[i];
        rows[start + k] = i;
        nodeStart[i] = mid;
      }
      const ln = lw - lp;
      const rn = rw - rp;
      importance[bestF] +=
        W -
        (P * P + (W - P) * (W - P)) / W -
        (lw - (lp * lp + ln * ln) / lw) -
        (rw - (rp * rp + rn * rn) / rw);
      nFeature[id] = bestF;
      nThreshold[id] = bestThr;

      // Push right first so the left child is popped next and gets id + 1.
      let o = sp * 5;
      sInt[o] = mid;
      sInt[o + 1] = end;
      sInt[o + 2] = depth + 1;
      sInt[o + 3] = id;
      sInt[o + 4] = 1;
      sW[sp * 2] = rw;
      sW[sp * 2 + 1] = rp;
      sp++;
      o = sp * 5;
      sInt[o] = start;
      sInt[o + 1] = mid;
      sInt[o + 2] = depth + 1;
      sInt[o + 3] = id;
      sInt[o + 4] = 0;
      sW[sp * 2] = lw;
      sW[sp * 2 + 1] = lp;
      sp++;
    }

    let total = 0;
    for (let f = 0; f < d; f++) total += importance[f];
    if (total > 0) for (let f = 0; f < d; f++) importance[f] /= total;
    return {
      feature: nFeature.slice(0, nodes),
      threshold: nThreshold.slice(0, nodes),
      right: nRight.slice(0, nodes),
      value: nValue.slice(0, nodes),
      importance,
    };
  }
}
