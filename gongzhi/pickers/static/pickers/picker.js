// The type-ahead picker (docs/pickers.md). htmx fetches the options; this script turns a tapped
// option into a chip with a hidden input, removes chips, and moves through options by keyboard.
// Listeners hang on the document once, so pickers added later by htmx work too.
(function () {
  if (window.gongzhiPicker) return;
  window.gongzhiPicker = true;

  function close(picker) {
    picker.querySelector(".picker-options").innerHTML = "";
    picker.querySelector(".picker-q").setAttribute("aria-expanded", "false");
  }

  function choose(picker, button) {
    var name = picker.dataset.name;
    var chips = picker.querySelector(".picker-chips");
    var value = button.dataset.value;
    if (picker.dataset.multiple !== "1") chips.innerHTML = "";
    var taken = Array.prototype.some.call(chips.querySelectorAll("input"), function (input) {
      return input.value === value;
    });
    if (!taken) {
      var chip = document.createElement("li");
      chip.className = "picker-chip";
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      var label = document.createElement("span");
      label.textContent = button.dataset.label;
      var hint = document.createElement("small");
      hint.textContent = button.dataset.hint || "";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "picker-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", picker.dataset.remove + " " + button.dataset.label);
      chip.append(input, label, " ", hint, remove);
      chips.appendChild(chip);
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var q = picker.querySelector(".picker-q");
    q.value = "";
    close(picker);
    q.focus();
  }

  document.addEventListener("click", function (event) {
    var picker = event.target.closest("[data-picker]");
    if (!picker) return;
    var option = event.target.closest(".picker-option");
    if (option) return choose(picker, option);
    var remove = event.target.closest(".picker-remove");
    if (remove) {
      remove.closest(".picker-chip").remove();
      picker.querySelector(".picker-q").focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    var picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker) return;
    var options = Array.prototype.slice.call(picker.querySelectorAll(".picker-option"));
    var at = options.indexOf(document.activeElement);
    var q = picker.querySelector(".picker-q");
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      (at <= 0 ? q : options[at - 1]).focus();
    } else if (event.key === "Escape") {
      close(picker);
      q.focus();
    } else if (event.key === "Enter" && event.target === q) {
      // Enter in the search box picks the first match instead of submitting the whole form.
      event.preventDefault();
      if (options.length) choose(picker, options[0]);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker) return;
    var open = picker.querySelectorAll(".picker-option").length > 0;
    picker.querySelector(".picker-q").setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
