console.log("app 3f2a1c");
