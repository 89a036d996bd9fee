// aws-local-stepfunctions 3.0.0 declares node >= 22 and calls Promise.withResolvers (Node 22+) for
// every Task state. This file must be imported before it loads; it changes nothing on Node 22+.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve, reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
