// Scanner pages (/m): the scan field keeps the focus so a keyboard-wedge scanner can type into it and press Enter
// (which submits the form); the camera button reads a code with the browser's BarcodeDetector where there is one;
// each page answers with a sound and a vibration for success or error, where the browser allows them.
(function () {
  "use strict";

  const scanField = () => document.querySelector("form.m-form:not(.m-side) [autofocus]") ||
    document.querySelector("form.m-form:not(.m-side) input[data-scan]");

  function keepFocus() {
    const field = scanField();
    if (!field) return;
    field.focus();
    try { field.select(); } catch (_) { /* not a text field */ }
    // Focus that falls back to the page (a tap on the background, a closed keyboard) returns to the scan field;
    // a tap into another field keeps that field.
    document.addEventListener("focusout", () => {
      setTimeout(() => {
        if (document.activeElement === document.body || document.activeElement === null) field.focus();
      }, 50);
    });
  }

  let audio = null;
  function beep(kind) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      const notes = kind === "error" ? [[220, 0, 0.18], [180, 0.2, 0.3]] : [[880, 0, 0.08], [1320, 0.09, 0.12]];
      for (const [freq, start, length] of notes) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = kind === "error" ? "square" : "sine";
        osc.frequency.value = freq;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + length);
      }
    } catch (_) {
      // A browser that refuses audio before a user gesture stays silent; the colours still tell.
    }
  }

  function feedback() {
    const kind = document.body.dataset.feedback;
    if (!kind) return;
    beep(kind);
    if (navigator.vibrate) {
      try { navigator.vibrate(kind === "error" ? [120, 80, 120, 80, 200] : 60); } catch (_) { /* not allowed */ }
    }
  }

  async function setUpCamera() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;  // manual entry only
    let formats;
    try { formats = await window.BarcodeDetector.getSupportedFormats(); } catch (_) { return; }
    if (!formats || !formats.length) return;
    const detector = new window.BarcodeDetector({ formats });
    const video = document.querySelector("video[data-video]");
    for (const button of document.querySelectorAll("button[data-camera]")) {
      button.hidden = false;
      const field = button.parentElement.querySelector("input[data-scan]");
      button.addEventListener("click", async () => {
        let stream;
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        } catch (_) {
          field.focus();  // no camera or no permission: type the code
          return;
        }
        video.hidden = false;
        video.srcObject = stream;
        await video.play();
        const stop = () => { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; };
        const look = async () => {
          if (video.hidden) return;
          try {
            const codes = await detector.detect(video);
            if (codes.length) {
              stop();
              field.value = codes[0].rawValue;
              field.form.requestSubmit();
              return;
            }
          } catch (_) { /* a frame that cannot be read: try the next */ }
          requestAnimationFrame(look);
        };
        video.addEventListener("click", stop, { once: true });
        look();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    keepFocus();
    feedback();
    setUpCamera();
  });
})();
