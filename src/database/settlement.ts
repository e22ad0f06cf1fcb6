/**
 * Runs `start` and calls `end(true)` once its promise resolves, `end(false)` once it rejects or if `start` throws,
 * then hands the outcome on unchanged. The database hooks use it to record how a transaction ended; `end` must not
 * throw (metrics never change what the application sees).
 */
export function reportSettlement<T>(start: () => Promise<T>, end: (fulfilled: boolean) => void): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = start();
  } catch (error) {
    end(false);
    throw error;
  }
  return pending.then(
    (value) => {
      end(true);
      return value;
    },
    (error: unknown) => {
      end(false);
      throw error;
    },
  );
}
